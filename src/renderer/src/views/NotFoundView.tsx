import { PageHeader } from '../components/common';

export function NotFoundView({ path }: { path: string }) {
  return (
    <div className="view view--narrow">
      <PageHeader title="Nothing here" subtitle={<code>#/{path}</code>} />
      <p>
        This address does not name a view. Go to <a href="#/images">the image list</a>.
      </p>
    </div>
  );
}
