'use server';
import { z } from 'zod';
import { defineAction } from '@/lib/actions/define-action';
import { changeAccount } from '@/lib/server/services/users';

/** Admins disable, enable and delete accounts (a disabled account's sessions end at once). */
export const changeAccountAction = defineAction(
  'changeAccount',
  { role: 'admin', mutates: true },
  z.object({ userId: z.string().min(1).max(100), change: z.enum(['disable', 'enable', 'delete']) }),
  async ({ userId, change }, { caller }) => changeAccount(userId, change, caller),
);
