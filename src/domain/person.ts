/** Someone who acts in Hoist: asks for a deployment, holds a lock, forces one open. Every edge maps its own user to this. */
export interface Person {
  /** Stable user id (Slack user id, `shell:<login>`, or `hoist` for Hoist itself). */
  id: string;
  /** How to show them in messages. */
  name: string;
}
