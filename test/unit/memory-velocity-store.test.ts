import { createMemoryVelocityStore } from '../../src/adapters/memory/memory-velocity-store.js';
import { velocityStoreConformance } from '../conformance/velocity-store.js';

velocityStoreConformance('memory', (limits) =>
  Promise.resolve(createMemoryVelocityStore({ limits })),
);
