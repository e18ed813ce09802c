// Fidelity of the model against the ftrace recordings (model/fidelity.suite.ts has the checks).
import { fidelitySuite } from './fidelity.suite.js';

fidelitySuite('ftrace');
