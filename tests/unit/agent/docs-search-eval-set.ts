/** @module Questions an agent asks while editing, each with the llm.txt section that answers it (by slug). */

export interface DocsEvalCase {
  query: string;
  expected: string;
}

export const DOCS_EVAL_SET: DocsEvalCase[] = [
  { query: 'keep only the first 5 seconds of the video', expected: 'trim-a-clip-keep-one-part' },
  { query: 'shorten the clip to 0:12 - 0:20', expected: 'trim-a-clip-keep-one-part' },
  { query: 'remove the part between 10s and 15s', expected: 'cut-out-a-section-remove-the-middle' },
  { query: 'concatenate two videos one after another', expected: 'join-clips-concatenate-back-to-back' },
  {
    query: 'crossfade between the clips',
    expected: 'transitions-between-clips-crossfade-dissolve-fade-to-black',
  },
  {
    query: 'make it vertical for tiktok',
    expected: 'aspect-ratio-presets-vertical-9-16-square-1-1-landscape-16-9',
  },
  {
    query: 'square 1:1 instagram post',
    expected: 'aspect-ratio-presets-vertical-9-16-square-1-1-landscape-16-9',
  },
  {
    query: 'letterbox black bars keep whole picture',
    expected: 'fit-or-fill-the-frame-scale-crop-letterbox',
  },
  { query: 'add a big title at the start', expected: 'titles-and-text-overlays' },
  { query: 'which fonts can I use for text', expected: 'titles-and-text-overlays' },
  {
    query: 'text outline so it is readable',
    expected: 'text-style-outline-shadow-background-box-lower-third',
  },
  {
    query: 'lower third with name and job title',
    expected: 'text-style-outline-shadow-background-box-lower-third',
  },
  { query: 'add subtitles from this script', expected: 'captions-and-subtitles-from-given-text' },
  { query: 'add background music', expected: 'background-music-and-soundtrack' },
  { query: 'mute the original audio', expected: 'volume-mute-and-replace-the-original-sound' },
  { query: 'lower the volume of the clip', expected: 'volume-mute-and-replace-the-original-sound' },
  { query: 'fade out the music at the end', expected: 'audio-fade-in-and-fade-out' },
  {
    query: 'fade from black at the beginning',
    expected: 'fade-in-and-fade-out-the-picture-fade-from-and-to-black',
  },
  { query: 'slow motion', expected: 'speed-slow-motion-and-fast-forward' },
  { query: 'speed up the video 2x', expected: 'speed-slow-motion-and-fast-forward' },
  {
    query: 'picture in picture webcam in the corner',
    expected: 'picture-in-picture-small-video-in-a-corner',
  },
  { query: 'put our logo in the top right corner', expected: 'logo-watermark-or-image-overlay' },
  { query: 'black and white filter', expected: 'colour-effects-and-filters-black-and-white-blur-brightness' },
  { query: 'slide the text in from the left', expected: 'animate-text-and-images-slide-in-zoom-pop' },
  { query: 'slow zoom ken burns effect', expected: 'animate-text-and-images-slide-in-zoom-pop' },
  { query: 'slideshow of photos', expected: 'still-images-and-slideshows' },
  {
    query: 'change the title text of the previous version',
    expected: 'edit-what-is-already-there-follow-up-requests',
  },
  { query: 'what variables are in scope for my code', expected: 'code-actions-how-your-code-runs' },
  { query: 'how do I find the uploaded music file', expected: 'assets-the-uploaded-clips-music-and-images' },
  { query: 'are times in seconds or milliseconds', expected: 'time-layers-and-the-timeline' },
  { query: 'coloured box behind the text', expected: 'shapes-bars-boxes-and-colour-backgrounds' },
  { query: 'log the clip bounds to debug placement', expected: 'inspect-and-debug' },
  { query: 'cut out the pauses and silences', expected: 'remove-the-pauses-cut-the-silences-jump-cuts' },
  { query: 'add captions of what he says', expected: 'captions-from-speech-the-transcript-word-by-word' },
  {
    query: 'keep only the part where the dog catches the ball',
    expected: 'keep-the-part-where-something-happens-the-best-part',
  },
  {
    query: 'one second of every shot for a trailer',
    expected: 'cut-on-the-shots-one-piece-of-every-shot-trim-at-shot-changes',
  },
  {
    query: 'where are the scene changes in the clip',
    expected: 'look-at-the-footage-first-inspect-media-shots-silences-transcript',
  },
];
