import { createMemoryVelocityStore } from '../../src/adapters/memory/memory-velocity-store.ts';
import { velocityStoreConformance } from '../conformance/velocity-store.ts';

velocityStoreConformance('memory', (limits) =>
  Promise.resolve(createMemoryVelocityStore({ limits })),
);
