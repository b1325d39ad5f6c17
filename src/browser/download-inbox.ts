/**
 * @module Receives the files an operator page hands over as browser downloads (the rendered MP4).
 *
 * Only a name announced in advance is saved, to the path Node chose; any other download (a code action can start
 * one) is cancelled and its file deleted. `saveAs` works for a local browser and streams the file from a remote one.
 */
import type { Download, Page } from 'playwright-core';
import type { Logger } from '../logger.ts';
import { waitOnPage } from './page-wait.ts';

export interface ExpectedDownload {
  /** Waits up to `timeoutMs` for the page to start the download, then saves it to `filePath`. */
  saveTo(filePath: string, timeoutMs: number): Promise<void>;
  /** Stops expecting the download; idempotent. */
  close(): void;
}

export class DownloadInbox {
  private readonly expected = new Map<string, (download: Download) => void>();
  private page?: Page;

  constructor(private readonly logger: Logger) {}

  /** Takes the downloads of `page`, the session's current page (a replaced page is watched anew). */
  watch(page: Page): void {
    this.page = page;
    page.on('download', (download) => this.receive(download));
  }

  expect(fileName: string): ExpectedDownload {
    let arrived: (download: Download) => void = () => {};
    const arrival = new Promise<Download>((resolve) => {
      arrived = resolve;
    });
    this.expected.set(fileName, arrived);
    return {
      saveTo: async (filePath, timeoutMs) => {
        if (!this.page) throw new Error(`no page to receive ${fileName} from`);
        const download = await waitOnPage(arrival, {
          page: this.page,
          what: `the download of ${fileName}`,
          timeoutMs,
        });
        await download.saveAs(filePath);
        // Playwright keeps its own copy until the context closes: a session may render many times.
        await download.delete();
      },
      close: () => {
        if (this.expected.get(fileName) === arrived) this.expected.delete(fileName);
      },
    };
  }

  private receive(download: Download): void {
    const name = download.suggestedFilename();
    const take = this.expected.get(name);
    if (take) {
      this.expected.delete(name);
      take(download);
      return;
    }
    this.logger.warn({ name }, 'discarded a download the operator page did not announce');
    void download
      .cancel()
      .then(() => download.delete())
      .catch(() => {});
  }
}
