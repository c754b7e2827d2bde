// Shows the policy's notifications as OS notifications. Severity decides urgency and sound: a
// failure is loud, a recovery is silent. A click performs the notification's action (a run opens
// in the admin pane). References are kept until the notification closes, or Electron may collect
// it and lose the click handler.
import type { NotificationConstructorOptions } from 'electron';
import type { NotificationSpec } from '../core/notify/policy';
import type { TrayAction } from '../core/tray/types';
import type { ElectronPort, NotificationPort } from './port';

export function notificationOptions(n: NotificationSpec, icon: string | undefined): NotificationConstructorOptions {
  return {
    title: n.title,
    body: n.body,
    silent: n.severity === 'info',
    urgency: n.severity === 'critical' ? 'critical' : n.severity === 'warning' ? 'normal' : 'low',
    timeoutType: n.severity === 'critical' ? 'never' : 'default',
    ...(icon ? { icon } : {}),
  };
}

export interface Notifier {
  show(n: NotificationSpec): void;
  live(): number;
}

export function createNotifier(electron: Pick<ElectronPort, 'Notification'>, opts: { dispatch: (a: TrayAction) => void; icon?: string; log: (m: string) => void }): Notifier {
  const live = new Set<NotificationPort>();
  return {
    show(n) {
      if (!electron.Notification.isSupported()) {
        opts.log(`notifications unsupported here; not shown: ${n.title}`);
        return;
      }
      const note = new electron.Notification(notificationOptions(n, opts.icon));
      live.add(note);
      const forget = () => live.delete(note);
      note.on('click', () => {
        forget();
        if (n.action) opts.dispatch(n.action);
      });
      note.on('close', forget);
      note.on('failed', (_e, error) => {
        forget();
        opts.log(`notification failed: ${error}`);
      });
      note.show();
    },
    live: () => live.size,
  };
}
