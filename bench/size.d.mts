/** Minified and gzipped (-9) byte counts of one bundle. */
export interface BundleSize {
  readonly min: number;
  readonly gzip: number;
}
/** The entries measured: what an app writes, bundled from the package's root. */
export const entries: Readonly<Record<'core' | 'createClient' | 'messages' | 'audio' | 'coreAndAudio', string>>;
/** Bundles `contents` (ESM source) as an app's bundler would; its minified and gzipped byte counts. */
export function bundleSize(contents: string): Promise<BundleSize>;
/** Every figure of the table, in bytes. */
export function measure(): Promise<{ core: BundleSize; createClient: BundleSize; messages: BundleSize; audio: BundleSize; audioAdds: BundleSize }>;
