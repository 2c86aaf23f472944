'use server';
import { z } from 'zod';
import { defineAction } from '@/lib/actions/define-action';
import { ROLES } from '@/lib/core/roles';
import { createUser } from '@/lib/server/services/users';

/** Admins create accounts (there is no self-service sign-up). */
export const createUserAction = defineAction(
  'createUser',
  { role: 'admin', mutates: true },
  z.object({
    email: z.email('Must be an email address.').max(254),
    name: z.string().trim().min(1, 'Give a name.').max(100),
    role: z.enum(ROLES),
    password: z.string().min(12, 'At least 12 characters.').max(256),
  }),
  async (input, { caller }) => createUser(input, caller),
);
