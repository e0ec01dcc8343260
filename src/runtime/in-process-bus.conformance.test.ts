// The transport conformance suite (transport-conformance.ts) on the in-process bus, wall clock.
import { InProcessBus } from './in-process-bus.js';
import { transportConformanceSuite } from './transport-conformance.js';

transportConformanceSuite('in-process bus', async () => new InProcessBus());
