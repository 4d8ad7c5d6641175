import type { z } from "zod";

import type { UserMessageItem } from "@/lib/chatkitEvents";

import styles from "../BuiltinChat.module.css";

export function UserMessage({ item }: { item: z.infer<typeof UserMessageItem> }) {
  return (
    <article className={styles.userMessage} aria-label="You said">
      <p>{item.content.map((part) => part.text).join("")}</p>
    </article>
  );
}
