// A device actor with test faults (faults.ts): the production actor's behaviour, wrapped. A VM
// built by test-vm.ts starts a device from here instead of actors/device/worker when a test
// gives that device faults.
import { DeviceActor } from '../../../actors/device/device-actor.js';
import { plainBehaviour, runActor } from '../../../actors/runtime/host.js';
import { withFaults, type DeviceTestFaults } from './faults.js';

/** The device's own config, plus its faults. */
export interface FaultyDeviceConfig {
  faults: DeviceTestFaults;
}

await runActor((ctx) => withFaults(plainBehaviour(new DeviceActor(ctx)), (ctx.config as FaultyDeviceConfig).faults));
