/** The security suites against a real `cutroom browser-server` (sessions over its WebSocket front door). */
import { egressSuite } from './egress.case.ts';

egressSuite('browser-server');
