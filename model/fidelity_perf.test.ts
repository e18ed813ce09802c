// Fidelity of the model against the perf recordings (perf lacks exit-time rss_stat: no teardown to compare).
import { fidelitySuite } from './fidelity.suite.js';

fidelitySuite('perf');
