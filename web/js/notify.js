// Browser notifications for messages that arrive while the tab is hidden.
// Permission is asked only when the user presses the button for it.

export function notificationsSupported() {
  return 'Notification' in window;
}

export function notificationPermission() {
  return notificationsSupported() ? Notification.permission : 'unsupported';
}

export async function requestNotificationPermission() {
  if (!notificationsSupported()) return 'unsupported';
  let permission;
  try {
    permission = await Notification.requestPermission();
  } catch {
    permission = Notification.permission;
  }
  // main.js subscribes to Web Push then.
  if (permission === 'granted') window.dispatchEvent(new Event('parley:notifications-granted'));
  return permission;
}

/** Shows a notification if the tab is hidden and the user allowed them. */
export function notifyIfHidden({ title, body, tag, onClick }) {
  if (document.visibilityState !== 'hidden') return null;
  if (notificationPermission() !== 'granted') return null;
  try {
    const n = new Notification(title, { body, tag, renotify: false });
    n.onclick = () => {
      window.focus();
      onClick?.();
      n.close();
    };
    return n;
  } catch {
    return null; // some platforms only allow notifications from a service worker
  }
}
