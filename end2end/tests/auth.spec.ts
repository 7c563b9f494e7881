import { APIRequestContext, Page, expect, test } from "@playwright/test";
import { collectPageErrors, unique, watchCalls } from "./helpers";

// A second server that scripts/e2e.sh starts in authenticated mode, with a board user and a
// board token it made with `costline board create-user` / `create-token`.
const authUrl = process.env.COSTLINE_E2E_AUTH_URL ?? "";
const email = process.env.COSTLINE_E2E_AUTH_EMAIL ?? "";
const password = process.env.COSTLINE_E2E_AUTH_PASSWORD ?? "";
const token = process.env.COSTLINE_E2E_AUTH_TOKEN ?? "";

test("local mode says so in the top bar and needs no sign-in", async ({ page }) => {
  await page.goto("/");
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByTestId("local-mode")).toHaveText("local mode");
  await expect(page.getByTestId("sign-out")).toHaveCount(0);
});

test.describe("authenticated mode", () => {
  test.use({ baseURL: authUrl });
  test.beforeAll(() => {
    if (!authUrl || !email || !password || !token) {
      throw new Error("COSTLINE_E2E_AUTH_* are not set: run these tests through scripts/e2e.sh");
    }
  });

  async function createCompany(request: APIRequestContext) {
    const r = await request.post("/api/companies", {
      headers: { Authorization: `Bearer ${token}` },
      data: { name: unique("Secure"), budgetMonthlyCents: 50000 },
    });
    expect(r.status(), await r.text()).toBe(201);
    return (await r.json()) as { id: string; name: string };
  }

  async function signIn(page: Page, pass = password) {
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password").fill(pass);
    await page.getByRole("button", { name: "Sign in" }).click();
  }

  test("a protected page redirects to sign-in, and signing in leads back to it", async ({ page, request }) => {
    const company = await createCompany(request);
    const errors = collectPageErrors(page);
    await page.goto(`/companies/${company.id}`);
    await expect(page).toHaveURL(`${authUrl}/signin?next=/companies/${company.id}`);
    await expect(page.getByRole("heading", { name: "Sign in" })).toBeVisible();

    await signIn(page);
    await expect(page).toHaveURL(`${authUrl}/companies/${company.id}`);
    await expect(page.getByTestId("company-name")).toHaveText(company.name);
    await expect(page.getByTestId("signed-in-as")).toHaveText(email);
    await expect(page.getByTestId("local-mode")).toHaveCount(0);

    const session = (await page.context().cookies()).find((c) => c.name === "costline_session");
    expect(session?.httpOnly).toBe(true);
    expect(session?.sameSite).toBe("Lax");
    // The session cookie is invisible to scripts in the page.
    expect(await page.evaluate(() => document.cookie)).not.toContain("costline_session");
    // Once hydrated, the app's own calls of server functions carry the session: the
    // settings form is sent by the app (a fetch, not a form post) and is accepted.
    await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
    const calls = watchCalls(page, "update_company");
    await page.getByRole("link", { name: "Settings" }).click();
    await expect(page).toHaveURL(`${authUrl}/companies/${company.id}/settings`);
    await page.getByLabel("Monthly budget (dollars, empty for none)").fill("750");
    const [answer] = await Promise.all([
      page.waitForResponse((r) => new URL(r.url()).pathname === "/rpc/update_company"),
      page.getByRole("button", { name: "Save" }).click(),
    ]);
    expect(answer.status()).toBe(200);
    expect(calls).toEqual({ fetches: 1, posts: 0 });
    const r = await request.get(`/api/companies/${company.id}`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    expect((await r.json()).budgetMonthlyCents).toBe(75000);
    expect(errors).toEqual([]);
  });

  test.describe("without JavaScript", () => {
    test.use({ javaScriptEnabled: false });

    test("the sign-in form is a plain POST that sets the session and redirects", async ({ page, request }) => {
      const company = await createCompany(request);
      await page.goto(`/companies/${company.id}/settings`);
      await expect(page).toHaveURL(`${authUrl}/signin?next=/companies/${company.id}/settings`);
      const [post] = await Promise.all([
        page.waitForRequest((r) => r.method() === "POST" && new URL(r.url()).pathname === "/auth/sign-in"),
        signIn(page),
      ]);
      expect(post.isNavigationRequest()).toBe(true);
      const answer = await post.response();
      expect(answer?.status()).toBe(303);
      expect(answer?.headers()["location"]).toBe(`/companies/${company.id}/settings`);
      await expect(page).toHaveURL(`${authUrl}/companies/${company.id}/settings`);
      await expect(page.getByTestId("signed-in-as")).toHaveText(email);
      await expect(page.getByLabel("Monthly budget (dollars, empty for none)")).toHaveValue("500.00");
    });
  });

  test("a wrong password is refused and sets no session", async ({ page }) => {
    await page.goto("/");
    await expect(page).toHaveURL(`${authUrl}/signin?next=/`);
    await signIn(page, "not the password at all");
    await expect(page).toHaveURL(/\/signin\?error=invalid/);
    await expect(page.getByTestId("signin-error")).toHaveText(
      "That email and password do not match a board user.",
    );
    expect((await page.context().cookies()).some((c) => c.name === "costline_session")).toBe(false);
  });

  test("sign-out ends the session", async ({ page, request }) => {
    await page.goto("/signin");
    await signIn(page);
    await expect(page).toHaveURL(`${authUrl}/`);
    await expect(page.getByRole("heading", { name: "Companies" })).toBeVisible();
    const cookie = (await page.context().cookies()).find((c) => c.name === "costline_session");
    expect(cookie).toBeDefined();

    await page.getByTestId("sign-out").click();
    await expect(page).toHaveURL(`${authUrl}/signin`);
    expect((await page.context().cookies()).some((c) => c.name === "costline_session")).toBe(false);
    await page.goto("/");
    await expect(page).toHaveURL(`${authUrl}/signin?next=/`);
    // The old cookie is dead on the server too, not only gone from the browser.
    const r = await request.get("/api/companies", {
      headers: { Cookie: `costline_session=${cookie!.value}` },
    });
    expect(r.status()).toBe(401);
  });
});
