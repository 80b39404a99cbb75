// Where the fixture workspace and the test artifacts live.
import * as path from 'node:path';
import { REPO_ROOT } from './codeServer';

/** Copied afresh for every run and opened as the workspace folder. */
export const FIXTURE_WORKSPACE = path.join(REPO_ROOT, 'test', 'fixtures', 'workspace');

/** Screenshots and other artifacts; ignored by git. */
export const RESULTS_DIR = path.join(REPO_ROOT, 'test-results');
