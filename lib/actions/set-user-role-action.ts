'use server';
import { z } from 'zod';
import { defineAction } from '@/lib/actions/define-action';
import { ROLES } from '@/lib/core/roles';
import { setUserRole } from '@/lib/server/services/users';

export const setUserRoleAction = defineAction(
  'setUserRole',
  { role: 'admin', mutates: true },
  z.object({ userId: z.string().min(1).max(100), role: z.enum(ROLES) }),
  async ({ userId, role }, { caller }) => setUserRole(userId, role, caller),
);
