import { sha256 } from '@noble/hashes/sha2';
import { bytesToHex } from '@noble/hashes/utils';

/** An incremental hash: Web Crypto has none, so runtimes may inject a native one. */
export interface IncrementalHash {
  update(chunk: Uint8Array): void;
  /** The digest as lowercase hex. Call once, after the last update. */
  digestHex(): string;
}

/** Creates an {@link IncrementalHash} for SHA-256. */
export type Sha256Factory = () => IncrementalHash;

/**
 * A portable SHA-256 (pure JS, every runtime). On Node, `@imgstash/express` injects
 * `node:crypto` instead, which is several times faster.
 */
export const portableSha256: Sha256Factory = () => {
  const h = sha256.create();
  return {
    update(chunk) {
      h.update(chunk);
    },
    digestHex() {
      return bytesToHex(h.digest());
    },
  };
};
