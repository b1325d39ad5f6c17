/** The security suites against a real `cutroom browser-server` (sessions over its WebSocket front door). */
import { egressSuite } from './egress.case.ts';
import { secretSuite } from './secrets.case.ts';

egressSuite('browser-server');
secretSuite('browser-server');
