/** The kinds of source `imgmeta import` (and the Import view) detects from a path. */
export function SourceKinds() {
  return (
    <ul className="source-kinds" aria-label="Source kinds">
      <li>an OCI image layout directory</li>
      <li>
        a <code>docker save</code> or OCI archive (<code>.tar</code>, <code>.tar.gz</code>)
      </li>
      <li>
        containerd’s root or its <code>meta.db</code>
      </li>
      <li>
        a Docker data root (<code>/var/lib/docker</code>)
      </li>
      <li>a containers/storage root (Podman, Buildah, CRI-O)</li>
      <li>
        a <code>dir:</code> directory written by <code>skopeo copy</code> (<code>version</code>,{' '}
        <code>manifest.json</code>)
      </li>
      <li>
        a file-per-key metadata directory (<code>&lt;namespace&gt;/&lt;key&gt;</code>)
      </li>
    </ul>
  );
}
