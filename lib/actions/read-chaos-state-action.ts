'use server';
import { z } from 'zod';
import { defineAction } from '@/lib/actions/define-action';
import { readChaosState } from '@/lib/server/services/sandbox-chaos';

/** Sandbox only: the faults injected into the sandbox's VMs and zones. Refused (Unsupported) on Compute Engine. */
export const readChaosStateAction = defineAction(
  'readChaosState',
  { role: 'viewer', mutates: false },
  z.object({}).strict(),
  () => readChaosState(),
);
