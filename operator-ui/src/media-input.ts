/**
 * @module One mediabunny `Input` per media source, kept as long as the source lives.
 *
 * Reading a page Blob costs a round trip to the browser process per read, and parsing a file's index costs many
 * reads. A kept `Input` keeps its parsed index and read cache, so the next preview or render of the same clip
 * starts without reading the file again: the agent samples the same clips after every code action.
 */
import type * as core from '@diffusionstudio/core';
import { ALL_FORMATS, BlobSource, Input, type InputVideoTrack, UrlSource } from 'mediabunny';

const inputs = new WeakMap<core.BaseSource, Input>();

/** The source's video track, read through its kept Input. */
export async function videoTrackOf(source: core.BaseSource): Promise<InputVideoTrack> {
  const track = await mediaInput(source).getPrimaryVideoTrack();
  if (!track) throw new Error(`"${source.name}" has no video track`);
  return track;
}

function mediaInput(source: core.BaseSource): Input {
  let input = inputs.get(source);
  if (!input) {
    const data = source.input;
    input = new Input({
      source: typeof data === 'string' ? new UrlSource(data) : new BlobSource(data as Blob),
      formats: ALL_FORMATS,
    });
    inputs.set(source, input);
  }
  return input;
}
