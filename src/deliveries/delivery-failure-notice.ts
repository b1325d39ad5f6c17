/** @module What a thread is told when one of its deliveries failed for good, so a request never ends in silence. */
import { UnrecoverableError } from 'bullmq';
import { ErrorCode } from '../errors.ts';
import { redactSecrets } from '../redact-secrets.ts';
import type { Delivery, ErrorDelivery } from './types.ts';

const MAX_REASON_CHARS = 160;

/** The platform's own words for the failure (an API error code, a timeout), short and without credentials. */
function reasonOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const reason = redactSecrets(message.replace(/\s+/g, ' ').trim()) || 'no reason given';
  return reason.length > MAX_REASON_CHARS ? `${reason.slice(0, MAX_REASON_CHARS - 1)}…` : reason;
}

/**
 * The failure reply for a delivery no retry will post, or undefined when the thread needs none: a status
 * (the request's result or error ends it), a preview (the result follows), or such a notice itself.
 * Posted, it ends the request's status as failed, like any error delivery.
 */
export function deliveryFailureNotice(delivery: Delivery, error: unknown): ErrorDelivery | undefined {
  if (delivery.kind === 'status' || delivery.kind === 'preview') return undefined;
  if (delivery.kind === 'error' && delivery.code === ErrorCode.DeliveryFailed) return undefined;
  const reason = reasonOf(error);
  const text =
    delivery.kind === 'result'
      ? `I could not post version ${delivery.version} here (${reason}). The version is kept: say \`use v${delivery.version}\` to post it again.`
      : `I could not post my reply here (${reason}). Please ask again in a moment.`;
  return {
    kind: 'error',
    thread: delivery.thread,
    requestId: delivery.requestId,
    code: ErrorCode.DeliveryFailed,
    text,
  };
}

/** Whether a delivery that threw `error` on attempt `attempt` of `attempts` is dropped rather than retried. */
export function isFinalDeliveryFailure(error: unknown, attempt: number, attempts: number): boolean {
  return error instanceof UnrecoverableError || attempt >= attempts;
}
