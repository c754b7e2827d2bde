// vitest globalSetup: runs once in the main vitest process before any worker is forked.
// It makes sure the test CA exists and names it in NODE_EXTRA_CA_CERTS. Workers of the forks pool
// inherit the main process's environment when they are forked, and every CLI or daemon a test
// spawns with `process.env` inherits it in turn, so all of them trust the local HTTPS vault
// (Node reads NODE_EXTRA_CA_CERTS once at start-up; setting it inside a running worker is too late).
// It also hands the workers the programs the static scan found (scripts/programs.mjs), which
// spawn-audit.ts holds every started program against.
import type { TestProject } from 'vitest/node';
import { scan } from '../../scripts/programs.mjs';
import { ensureTestCa, extraCaCertsValue } from './tls';

export default function setup(project: TestProject): void {
  const ca = ensureTestCa();
  process.env.NODE_EXTRA_CA_CERTS = extraCaCertsValue(process.env.NODE_EXTRA_CA_CERTS, ca);
  process.env.PILLARS_TEST_CA = ca.caPath;
  project.provide('pillarsPrograms', [...scan().found.keys()]);
}
