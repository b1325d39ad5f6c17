/** The security suites against a local Chromium (launched the way `cutroom worker` launches it). */
import { egressSuite } from './egress.case.ts';
import { secretSuite } from './secrets.case.ts';

egressSuite('local');
secretSuite('local');
