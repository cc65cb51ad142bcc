/** The digest algorithms the OCI image spec registers, with the exact length of their lowercase hex encoding. */
export const digestAlgorithms = { sha256: 64, sha512: 128 } as const;

export type DigestAlgorithm = keyof typeof digestAlgorithms;

/** `algorithm:encoded`, e.g. `sha256:` + 64 lowercase hex characters. */
export type Digest = string;

const digestPattern = /^(sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128})$/;

export const isDigest = (value: string): boolean => digestPattern.test(value);

/** A human-sized prefix of the hex, the way `ctr` and `docker images` show digests. */
export const shortDigest = (digest: Digest, length = 12): string => {
  const colon = digest.indexOf(':');
  return colon < 0 ? digest.slice(0, length) : digest.slice(colon + 1, colon + 1 + length);
};

export const digestPatternSource = digestPattern.source;
