import 'server-only';
import { z } from 'zod';
import { fail, type Result } from '@/lib/core/errors';
import { isProviderError } from '@/lib/ports/provider-error';
import { describeError } from '@/lib/server/describe-error';

export type ActionContext = {
  /** Who acts. Sign-in and roles arrive with the access-control issue; until then every caller is the local operator. */
  actor: string;
};

/**
 * The one shape every server action has (STYLE.md): parse the untyped input with zod, resolve the caller,
 * run the use-case, and map expected failures to typed results. Unexpected errors are logged on the server
 * and come back as a generic message: no stack trace ever reaches the browser.
 */
export function defineAction<S extends z.ZodType, T>(
  name: string,
  schema: S,
  handler: (input: z.infer<S>, ctx: ActionContext) => Promise<Result<T>>,
): (input: unknown) => Promise<Result<T>> {
  return async (raw: unknown) => {
    const parsed = schema.safeParse(raw);
    if (!parsed.success) {
      const fieldErrors: Record<string, string[]> = {};
      for (const issue of parsed.error.issues) {
        const key = issue.path.join('.') || '_';
        (fieldErrors[key] ??= []).push(issue.message);
      }
      return fail('InvalidInput', 'The request is not valid; nothing was changed.', fieldErrors);
    }
    try {
      return await handler(parsed.data, { actor: 'local-operator' });
    } catch (error) {
      if (isProviderError(error)) {
        return fail(error.code === 'NotFound' ? 'NotFound' : 'ProviderUnavailable', describeError(error));
      }
      console.error(`[action ${name}]`, error);
      return fail('ProviderUnavailable', 'Something went wrong on the server; nothing was changed. Details are in the server log.');
    }
  };
}
