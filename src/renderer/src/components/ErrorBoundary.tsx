import { Component, type ReactNode } from 'react';
import { PageHeader } from './common';
import { ErrorPanel } from './ErrorPanel';

interface Props {
  children: ReactNode;
  /** Called before the children are rendered again (e.g. to refetch what failed). */
  onReset?: () => void;
}

/** Catches a view that threw while rendering and shows its code and message with a Retry button. */
export class ErrorBoundary extends Component<Props, { error: unknown; failed: boolean }> {
  override state = { error: undefined as unknown, failed: false };

  static getDerivedStateFromError(error: unknown) {
    return { error, failed: true };
  }

  private readonly retry = () => {
    this.props.onReset?.();
    this.setState({ error: undefined, failed: false });
  };

  override render() {
    if (this.state.failed)
      return (
        <div className="view view--narrow">
          <PageHeader
            title="This view failed"
            subtitle="It stopped while rendering. Retry reads its data again and renders it anew."
          />
          <ErrorPanel error={this.state.error} title="Error" onRetry={this.retry} />
        </div>
      );
    return this.props.children;
  }
}
