import { defineConfig } from "@playwright/test";

// Runs against a Costline server that scripts/e2e.sh started (release build, fresh SQLite
// file). Debian's Chromium only: browsers are never downloaded.
export default defineConfig({
  testDir: "./tests",
  timeout: 60_000,
  expect: { timeout: 10_000 },
  // One more try for a test that failed, and it is reported as flaky by name
  // (scripts/e2e.sh repeats those names at the end of its output): a test that fails twice
  // fails the suite.
  retries: 1,
  workers: 1,
  reporter: [["list"]],
  outputDir: "test-results",
  use: {
    baseURL: process.env.COSTLINE_E2E_URL ?? "http://127.0.0.1:3100",
    browserName: "chromium",
    screenshot: "only-on-failure",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
  },
});
