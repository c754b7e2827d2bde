// One place for the version the API and CLIs report.
export const VERSION = '0.1.0';
