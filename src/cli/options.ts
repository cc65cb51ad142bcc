import { Option } from 'commander';

/** Options several command groups share, declared once so that their flags and help read the same everywhere. */

/** Where a command that names images acts when -n is not given (containerd's default namespace). */
export const defaultNamespace = 'default';

export const jsonOption = () => new Option('--json', 'print one JSON document on stdout');

/** -n for commands that name images: the default namespace unless given. */
export const namespaceOption = (description = 'namespace of the image(s)') =>
  new Option('-n, --namespace <ns>', description).default(defaultNamespace);
