// Errors the adapters report to the core with more than a message.

/** An unmount refused because programs hold files open on the share: closing them needs the user's word. */
export class BusyError extends Error {
  constructor(
    readonly path: string,
    readonly openFiles: number,
  ) {
    super(
      `${openFiles} ${openFiles === 1 ? 'file or folder is' : 'files or folders are'} open on ${path}: unmounting would close ${openFiles === 1 ? 'it' : 'them'} under the programs using ${openFiles === 1 ? 'it' : 'them'}`,
    );
    this.name = 'BusyError';
  }
}
