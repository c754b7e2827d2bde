// The facts a model depends on: every path an existing folder, every user an existing account.
import type { SambaModel } from './model';
import type { SambaHost } from './host';
import type { FieldProblem } from './values';

export async function checkFacts(model: SambaModel, host: Pick<SambaHost, 'isDirectory' | 'userExists'>): Promise<FieldProblem[]> {
  const problems: FieldProblem[] = [];
  for (const { field, path } of model.paths) {
    if (!(await host.isDirectory(path))) problems.push({ field, message: `${path} is not an existing folder` });
  }
  for (const [i, u] of model.users.entries()) {
    if (!(await host.userExists(u))) problems.push({ field: `samba.validUsers[${i}]`, message: `user '${u}' does not exist on this machine (create the Unix account first)` });
  }
  if (model.bonjour) {
    const dir = model.bonjour.file.slice(0, model.bonjour.file.lastIndexOf('/')) || '/';
    if (!(await host.isDirectory(dir))) {
      problems.push({ field: 'samba.bonjour.serviceFile', message: `${dir} does not exist: install avahi-daemon (apt-get install avahi-daemon) so Macs find Time Machine, or set samba.bonjour: false` });
    }
  }
  return problems;
}
