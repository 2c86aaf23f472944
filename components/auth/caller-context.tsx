'use client';
import { useTranslations } from 'next-intl';
import { createContext, useContext, type ReactNode } from 'react';
import { hasRole, type Role } from '@/lib/core/roles';

/** The signed-in user as the browser sees them: for showing who is signed in and disabling what their role may not do. */
export type SignedIn = { email: string; name: string; role: Role } | null;

const CallerContext = createContext<SignedIn>(null);

export function CallerProvider({ caller, children }: { caller: SignedIn; children: ReactNode }) {
  return <CallerContext.Provider value={caller}>{children}</CallerContext.Provider>;
}

export function useSignedIn(): SignedIn {
  return useContext(CallerContext);
}

/**
 * Whether the signed-in user's role allows `role`'s actions, and if not, the reason to show next to a disabled
 * button. Only a hint: the server checks every action again.
 */
export function useCan(role: Role): { allowed: boolean; reason: string | null } {
  const caller = useContext(CallerContext);
  const t = useTranslations('auth.can');
  const roles = useTranslations('layout.role');
  if (!caller) return { allowed: false, reason: t('signInFirst') };
  if (hasRole(caller.role, role)) return { allowed: true, reason: null };
  return {
    allowed: false,
    // What each role may do: lib/core's ROLE_DUTIES, worded by the catalog (the same English).
    reason: t('roleTooLow', { role: roles(caller.role), needed: roles(role), duties: t(`duties.${role}`) }),
  };
}
