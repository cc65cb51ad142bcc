import { useEffect, useState } from 'react';
import { useApi } from '../api';
import { pathOfDroppedFile } from '../desktop';
import { requestImport, requestImportNotice } from '../import-session';

export const browserDropNotice =
  'In the browser, type the path of the source on the machine running imgmeta serve: a dropped item does not tell the page where it is.';

/**
 * A file or folder dropped anywhere on the window opens the Import view with its path filled in and checked. Only
 * drags that carry files are taken (text and links dragged inside the page are left alone), and the page never
 * navigates to a dropped file. While such a drag is over the window, an overlay says what a drop will do.
 */
export function DropToImport() {
  const api = useApi();
  const [over, setOver] = useState(false);

  useEffect(() => {
    let depth = 0;
    const carriesFiles = (event: DragEvent) => event.dataTransfer?.types.includes('Files') ?? false;
    const enter = (event: DragEvent) => {
      if (!carriesFiles(event)) return;
      event.preventDefault();
      depth++;
      setOver(true);
    };
    const hover = (event: DragEvent) => {
      if (!carriesFiles(event)) return;
      event.preventDefault();
      if (event.dataTransfer) event.dataTransfer.dropEffect = 'copy';
    };
    const leave = (event: DragEvent) => {
      if (!carriesFiles(event)) return;
      depth = Math.max(0, depth - 1);
      if (depth === 0) setOver(false);
    };
    const drop = (event: DragEvent) => {
      if (!carriesFiles(event)) return;
      event.preventDefault();
      depth = 0;
      setOver(false);
      const file = event.dataTransfer?.files[0];
      if (!file) return;
      const path = pathOfDroppedFile(file);
      if (path === undefined) requestImportNotice(browserDropNotice);
      else if (path === '')
        requestImportNotice(
          `“${file.name}” has no path on disk: drop a file or folder from the file manager.`,
        );
      else requestImport(api, path);
    };
    window.addEventListener('dragenter', enter);
    window.addEventListener('dragover', hover);
    window.addEventListener('dragleave', leave);
    window.addEventListener('drop', drop);
    return () => {
      window.removeEventListener('dragenter', enter);
      window.removeEventListener('dragover', hover);
      window.removeEventListener('dragleave', leave);
      window.removeEventListener('drop', drop);
    };
  }, [api]);

  if (!over) return null;
  return (
    <div className="drop-overlay" aria-hidden="true">
      <div className="drop-overlay__label">Drop a file or folder to import it</div>
    </div>
  );
}
