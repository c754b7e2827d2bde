// Model → smb.conf text. Pure. Every key comes from a fixed list and every value passes the
// render-time guard again, so even a model built by hand can't smuggle a line into the file.
import { KNOWN_KEYS, type SambaModel, type SambaSection } from './model';
import { SambaValidationError, assertRenderable, checkShareName } from './values';

const MANAGED_HEADER = '# Managed by pillarsd (pillarsd samba apply). Do not edit by hand:';

function renderSection(s: SambaSection): string[] {
  if (s.name !== 'global') {
    const p = checkShareName(s.name);
    if (p) throw new SambaValidationError([{ field: `share ${JSON.stringify(s.name.slice(0, 40))}`, message: p }]);
  }
  const lines = [`[${s.name}]`];
  for (const param of s.params) {
    const { key, value, field } = param;
    if (!KNOWN_KEYS.has(key)) throw new SambaValidationError([{ field, message: `parameter '${key.slice(0, 40)}' is not one pillarsd manages` }]);
    if (param.userMacro && key === 'path' && value.endsWith('/%U')) {
      const base = value.slice(0, -3);
      assertRenderable(field, base);
      if (!base.startsWith('/')) throw new SambaValidationError([{ field, message: 'must be an absolute path' }]);
    } else assertRenderable(field, value);
    lines.push(`\t${key} = ${value}`);
  }
  return lines;
}

export function renderModel(model: SambaModel): string {
  assertRenderable('samba.configFile', model.configFile);
  const out = [
    MANAGED_HEADER,
    '# a hand edit is reported as drift and `apply` refuses to overwrite it without --force.',
    `# Mode: ${model.mode}.${model.mode === 'include' ? ` Included from ${model.configFile}.` : ''}`,
    '',
    ...renderSection(model.global),
  ];
  for (const s of model.shares) out.push('', ...renderSection(s));
  return out.join('\n') + '\n';
}
