// The harness side of the UI bridge: a small HTTP server on 127.0.0.1 through which tests that
// run in the extension host ask the Playwright page for what a person sees (DOM text, tree rows,
// webview content) and for screenshots. The client is test/integration/ui.ts.
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import type { Frame, Locator, Page } from 'playwright-core';

export const UI_BRIDGE_ENV = 'LINK_TRACKING_UI_BRIDGE';

export interface TreeRow {
  label: string;
  description: string;
  ariaLabel: string;
  /** 1 for top-level rows. */
  level: number;
  /** undefined for leaves. */
  expanded: boolean | undefined;
}

export interface UiRequest {
  op: string;
  args: unknown[];
}

type Handler = (page: Page, ...args: never[]) => Promise<unknown>;

export class UiBridge {
  private server: http.Server | undefined;

  constructor(
    private readonly page: Page,
    private readonly resultsDir: string,
  ) {}

  /** Listens on a free 127.0.0.1 port and returns the URL the tests should call. */
  async listen(): Promise<string> {
    const server = http.createServer((request, response) => void this.answer(request, response));
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    return `http://127.0.0.1:${port}/ui`;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }

  private async answer(request: http.IncomingMessage, response: http.ServerResponse) {
    let body = '';
    for await (const chunk of request) {
      body += String(chunk);
    }
    let reply: { ok: true; result: unknown } | { ok: false; error: string };
    try {
      const { op, args } = JSON.parse(body) as UiRequest;
      reply = { ok: true, result: await this.dispatch(op, args ?? []) };
    } catch (error) {
      reply = { ok: false, error: error instanceof Error ? error.message : String(error) };
    }
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify(reply ?? null));
  }

  private dispatch(op: string, args: unknown[]): Promise<unknown> {
    const handlers: Record<string, Handler> = {
      treeRows: (page, viewTitle: string) => treeRows(page, viewTitle),
      allTreeRows: (page, viewTitle: string) => allTreeRows(page, viewTitle),
      viewTitles: (page) => viewTitles(page),
      elementTexts: (page, selector: string) => page.locator(selector).allInnerTexts(),
      elementAttributes: (page, selector: string, name: string) =>
        page
          .locator(selector)
          .evaluateAll((elements, n) => elements.map((e) => e.getAttribute(n) ?? ''), name),
      webviewText: async (page, title?: string | null) => {
        const frame = await findWebviewFrame(page, title);
        return frame.locator('body').innerText();
      },
      webviewQuery: async (page, selector: string, title?: string | null) => {
        const frame = await findWebviewFrame(page, title);
        return frame.locator(selector).allInnerTexts();
      },
      webviewTitles: async (page) => (await webviewFrames(page)).map((w) => w.title),
      click: async (page, selector: string) => {
        await page.locator(selector).first().click({ timeout: 10_000 });
        return true;
      },
      pressKey: async (page, keys: string) => {
        await page.keyboard.press(keys);
        return true;
      },
      typeText: async (page, text: string) => {
        await page.keyboard.type(text);
        return true;
      },
      screenshot: (page, name: string) => this.screenshot(page, name),
    };
    const handler = handlers[op];
    if (!handler) {
      throw new Error(`UI bridge: unknown operation '${op}'`);
    }
    return (handler as (page: Page, ...rest: unknown[]) => Promise<unknown>)(this.page, ...args);
  }

  private async screenshot(page: Page, name: string): Promise<string> {
    const file = path.join(this.resultsDir, name.endsWith('.png') ? name : `${name}.png`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    await page.screenshot({ path: file });
    return file;
  }
}

/** Titles of the view panes shown in the side bar and panel, as their headers read. */
async function viewTitles(page: Page): Promise<string[]> {
  // textContent, not innerText: the headers are upper-cased by CSS, not in their text.
  return page
    .locator('.pane-header h3.title')
    .evaluateAll((titles) => titles.map((t) => (t.textContent ?? '').trim()));
}

function findPane(page: Page, viewTitle: string): Locator {
  return page
    .locator('.split-view-view .pane')
    .filter({
      has: page.locator('.pane-header h3.title', { hasText: viewTitleMatcher(viewTitle) }),
    })
    .first();
}

async function paneOrThrow(page: Page, viewTitle: string): Promise<Locator> {
  const pane = findPane(page, viewTitle);
  if ((await pane.count()) === 0) {
    const known = (await viewTitles(page)).join(', ') || 'none';
    throw new Error(`UI bridge: no view titled '${viewTitle}' is shown (shown: ${known})`);
  }
  return pane;
}

/** The rows of a pane's tree that are in the DOM, by their index in the whole list. */
async function renderedRows(pane: Locator): Promise<Map<number, TreeRow>> {
  const rows = await pane.locator('.pane-body .monaco-list-row').evaluateAll((elements) =>
    elements.map((row) => {
      const text = (selector: string) => (row.querySelector(selector)?.textContent ?? '').trim();
      const expanded = row.getAttribute('aria-expanded');
      return {
        index: Number(row.getAttribute('data-index') ?? '0'),
        row: {
          label: text('.label-name'),
          description: text('.label-description'),
          ariaLabel: row.getAttribute('aria-label') ?? '',
          level: Number(row.getAttribute('aria-level') ?? '1'),
          expanded: expanded === null ? undefined : expanded === 'true',
        },
      };
    }),
  );
  return new Map(rows.map(({ index, row }) => [index, row]));
}

function inOrder(rows: Map<number, TreeRow>): TreeRow[] {
  return [...rows.entries()].sort(([a], [b]) => a - b).map(([, row]) => row);
}

/** The rendered rows of the tree in the view pane whose header title matches (any case). */
async function treeRows(page: Page, viewTitle: string): Promise<TreeRow[]> {
  return inOrder(await renderedRows(await paneOrThrow(page, viewTitle)));
}

/**
 * Every row of the tree, also those scrolled out of view: trees only render the rows in view,
 * so this scrolls the tree from top to bottom with the mouse wheel, collecting rows, and leaves
 * it scrolled to the top.
 */
async function allTreeRows(page: Page, viewTitle: string): Promise<TreeRow[]> {
  const pane = await paneOrThrow(page, viewTitle);
  const list = pane.locator('.pane-body .monaco-list').first();
  const box = await list.boundingBox();
  if (!box) {
    return []; // The pane is collapsed: nothing is shown.
  }
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await scrollToTop(page, pane, box.height);

  const rows = new Map<number, TreeRow>();
  for (let unchanged = 0; unchanged < 3;) {
    const before = rows.size;
    for (const [index, row] of await renderedRows(pane)) {
      rows.set(index, row);
    }
    unchanged = rows.size === before ? unchanged + 1 : 0;
    await page.mouse.wheel(0, box.height * 0.7);
    await page.waitForTimeout(60);
  }
  await scrollToTop(page, pane, box.height);
  return inOrder(rows);
}

/** Wheels up a page at a time until the first row is rendered (the list's own limit). */
async function scrollToTop(page: Page, pane: Locator, pageHeight: number): Promise<void> {
  for (let i = 0; i < 500 && !(await renderedRows(pane)).has(0); i++) {
    await page.mouse.wheel(0, -pageHeight * 3);
    await page.waitForTimeout(40);
  }
}

function viewTitleMatcher(title: string): RegExp {
  const escaped = title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^\\s*${escaped}\\s*$`, 'i');
}

interface WebviewFrame {
  title: string;
  frame: Frame;
}

/**
 * The content frames of the visible webviews. Each webview is an outer iframe (class `webview`)
 * holding the extension's page in an inner iframe `#active-frame`, whose title is the panel's.
 */
async function webviewFrames(page: Page): Promise<WebviewFrame[]> {
  const found: WebviewFrame[] = [];
  for (const frame of page.frames()) {
    const element = await frame.frameElement().catch(() => undefined);
    if (!element || (await element.getAttribute('id')) !== 'active-frame') {
      continue;
    }
    const outer = await frame
      .parentFrame()
      ?.frameElement()
      .catch(() => undefined);
    if (outer && !(await outer.isVisible())) {
      continue;
    }
    found.push({ title: (await element.getAttribute('title')) ?? '', frame });
  }
  return found;
}

async function findWebviewFrame(page: Page, requested?: string | null): Promise<Frame> {
  // JSON turns an argument left out into null.
  const title = requested ?? undefined;
  const frames = await webviewFrames(page);
  const match = title === undefined ? frames[0] : frames.find((w) => w.title === title);
  if (!match) {
    const shown = frames.map((w) => `'${w.title}'`).join(', ') || 'none';
    const wanted = title === undefined ? 'any webview' : `a webview titled '${title}'`;
    throw new Error(`UI bridge: ${wanted} is not visible (visible webviews: ${shown})`);
  }
  return match.frame;
}
