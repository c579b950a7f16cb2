// The local Heroku simulator: Platform API + data API subset, each add-on a real Postgres
// database. Used by the test suite, `refork sim` and `refork demo`.
export { startSimulator } from './simulator.js';
export { loadFixture, parseFixture, FixtureError, type Fixture, type LoadedFixture } from './fixture.js';
export type {
  AddDatabaseOptions,
  AttachEvent,
  FaultKind,
  FaultRule,
  SimAddon,
  SimAddonState,
  SimApp,
  SimAttachment,
  SimEvent,
  SimEventType,
  SimRef,
  SimRequest,
  Simulator,
  SimulatorOptions,
} from './types.js';
