// The layer rules of ARCHITECTURE.md are enforced by lint; this proves the rules reject what they should.
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint({ cwd: process.cwd() });

async function restrictedImports(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? [])
    .filter((m) => m.ruleId === 'no-restricted-imports' || m.ruleId === 'import/no-restricted-paths')
    .map((m) => m.message);
}

describe('import boundaries', () => {
  it.each([
    ['components/x.tsx', "import { fleetView } from '@/lib/server/views';"],
    ['components/x.tsx', "import { Feed } from '../lib/server/live/feed';"],
    ['components/x.tsx', "import type { VmSpec } from '../sandbox/vm/types';"],
    ['lib/client/x.ts', "import { fleetView } from '../server/views';"],
    ['app/x/page.tsx', "import type { VmSpec } from '@/sandbox/vm/types';"],
    ['lib/core/x.ts', "import { Badge } from '@/components/ui/badge';"],
    ['lib/core/x.ts', "import { fleetView } from '../server/views';"],
    ['lib/core/x.ts', "import type { ComputePort } from '../ports/compute';"],
    ['lib/core/x.ts', "import { readFileSync } from 'node:fs';"],
    ['lib/core/x.ts', "import { useState } from 'react';"],
  ])(
    '%s may not %s',
    async (file, code) => {
      expect(await restrictedImports(file, `${code}\nexport const used = 1;\n`)).not.toEqual([]);
    },
    30_000,
  );

  it.each([
    ['components/x.tsx', "import type { Topology } from '@/lib/core/topology';"],
    ['lib/core/x.ts', "import type { Topology } from './topology';"],
    ['app/x/page.tsx', "import { fleetView } from '@/lib/server/views';"],
  ])(
    '%s may %s',
    async (file, code) => {
      expect(await restrictedImports(file, `${code}\nexport const used = 1;\n`)).toEqual([]);
    },
    30_000,
  );
});
