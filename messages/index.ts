// The console's strings, one file per namespace (a namespace per area of the UI), English and Simplified Chinese.
// English is the reference: its shape is the type every `t()` call is checked against (i18n/app-config.d.ts), and
// tests/unit/i18n-catalog.test.ts fails when the Chinese catalog lacks a key English has, or has one it lacks.
import type { Locale } from '@/lib/core/locale';
import en_common from './en/common.json';
import en_layout from './en/layout.json';
import en_fleet from './en/fleet.json';
import en_topology from './en/topology.json';
import en_quorum from './en/quorum.json';
import en_wizards from './en/wizards.json';
import en_recovery from './en/recovery.json';
import en_operations from './en/operations.json';
import en_backups from './en/backups.json';
import en_audit from './en/audit.json';
import en_auth from './en/auth.json';
import en_settings from './en/settings.json';
import en_alerts from './en/alerts.json';
import en_findings from './en/findings.json';
import en_plans from './en/plans.json';
import zh_common from './zh-CN/common.json';
import zh_layout from './zh-CN/layout.json';
import zh_fleet from './zh-CN/fleet.json';
import zh_topology from './zh-CN/topology.json';
import zh_quorum from './zh-CN/quorum.json';
import zh_wizards from './zh-CN/wizards.json';
import zh_recovery from './zh-CN/recovery.json';
import zh_operations from './zh-CN/operations.json';
import zh_backups from './zh-CN/backups.json';
import zh_audit from './zh-CN/audit.json';
import zh_auth from './zh-CN/auth.json';
import zh_settings from './zh-CN/settings.json';
import zh_alerts from './zh-CN/alerts.json';
import zh_findings from './zh-CN/findings.json';
import zh_plans from './zh-CN/plans.json';

export const en = {
  common: en_common,
  layout: en_layout,
  fleet: en_fleet,
  topology: en_topology,
  quorum: en_quorum,
  wizards: en_wizards,
  recovery: en_recovery,
  operations: en_operations,
  backups: en_backups,
  audit: en_audit,
  auth: en_auth,
  settings: en_settings,
  alerts: en_alerts,
  findings: en_findings,
  plans: en_plans,
};
export type Messages = typeof en;

/** Chinese is typed loosely here so the catalog test, not the compiler, names each missing key. */
const zhCN: Record<string, unknown> = {
  common: zh_common,
  layout: zh_layout,
  fleet: zh_fleet,
  topology: zh_topology,
  quorum: zh_quorum,
  wizards: zh_wizards,
  recovery: zh_recovery,
  operations: zh_operations,
  backups: zh_backups,
  audit: zh_audit,
  auth: zh_auth,
  settings: zh_settings,
  alerts: zh_alerts,
  findings: zh_findings,
  plans: zh_plans,
};

export const catalogs: Record<Locale, Record<string, unknown>> = { en, 'zh-CN': zhCN };
