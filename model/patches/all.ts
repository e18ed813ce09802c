// Imports every patch file so each registers itself (model/patches/index.ts: registerPatch); the replay and
// model/variants.ts import this once.
import './refpage.js';
import './refpage_fd.js';
import './pattern_populate.js';
import './memset.js';
import './cow_pte.js';
import './eager_populate.js';
