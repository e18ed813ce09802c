import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['{src,traces,model,analyze,reports,calibrate,record,tools}/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
