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

interface NodeCryptoLike {
  createHash(algorithm: 'sha256'): { update(data: Uint8Array): unknown; digest(encoding: 'hex'): string };
}

function nativeSha256(): Sha256Factory | undefined {
  // Feature detection, not an import: core stays free of `node:` imports, yet runs at
  // native speed where the runtime offers node:crypto (Node ≥ 20.16, Bun, Deno).
  const getBuiltin = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process
    ?.getBuiltinModule;
  let crypto: NodeCryptoLike | undefined;
  try {
    crypto = getBuiltin?.('node:crypto') as NodeCryptoLike | undefined;
  } catch {
    return undefined;
  }
  if (typeof crypto?.createHash !== 'function') return undefined;
  const nodeCrypto = crypto;
  return () => {
    const h = nodeCrypto.createHash('sha256');
    return {
      update(chunk) {
        h.update(chunk);
      },
      digestHex() {
        return h.digest('hex');
      },
    };
  };
}

/** The fastest SHA-256 this runtime offers: node:crypto where available, else {@link portableSha256}. */
export const defaultSha256: Sha256Factory = nativeSha256() ?? portableSha256;
