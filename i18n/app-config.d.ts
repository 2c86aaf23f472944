// Types every `useTranslations`/`getTranslations` namespace and key against the English catalog: a key that
// English lacks is a type error (npm run typecheck), and the catalog test holds Chinese to English's keys.
import type { Locale } from '@/lib/core/locale';
import type { Messages } from '@/messages';

declare module 'next-intl' {
  interface AppConfig {
    Locale: Locale;
    Messages: Messages;
  }
}
