/** @module Starts the chat bots configured in the environment inside `cutroom start`. */
import type { Config } from '../config.ts';
import type { HttpServer } from '../http/http-server.ts';
import type { Logger } from '../logger.ts';
import type { QueueServices } from '../queue/queue-services.ts';

export interface StartBotsContext {
  config: Config;
  logger: Logger;
  services: QueueServices;
  /** Not listening yet: bots mount their routes (`http.mount('/slack/events', …)`) before it starts. */
  http: HttpServer;
}

export interface RunningBot {
  close(): Promise<void>;
}

/** One entry per platform configured; each bot also runs the DeliveryConsumer of its platform. */
export async function startBots(_ctx: StartBotsContext): Promise<RunningBot[]> {
  return [];
}
