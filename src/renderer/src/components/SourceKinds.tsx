/** The kinds of source `imgmeta import` detects from a path (design.md, "sources/"). */
export function SourceKinds() {
  return (
    <ul className="source-kinds" aria-label="Source kinds">
      <li>an OCI image layout directory</li>
      <li>
        a <code>docker save</code> archive
      </li>
      <li>
        containerd’s <code>meta.db</code>
      </li>
      <li>
        a Docker data root (<code>/var/lib/docker</code>)
      </li>
    </ul>
  );
}
