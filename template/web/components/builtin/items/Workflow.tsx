import type { z } from "zod";

import type { WorkflowItem } from "@/lib/chatkitEvents";

import styles from "../BuiltinChat.module.css";

/** Steps the assistant took before answering (reasoning, tool calls), folded once done. */
export function Workflow({ item, live }: { item: z.infer<typeof WorkflowItem>; live: boolean }) {
  const { workflow } = item;
  const thinking = workflow.type === "reasoning";
  const summary = workflow.summary
    ? "title" in workflow.summary
      ? workflow.summary.title
      : `${thinking ? "Thought" : "Worked"} for ${workflow.summary.duration} s`
    : live
      ? thinking
        ? "Thinking…"
        : "Working…"
      : `${workflow.tasks.length} step${workflow.tasks.length === 1 ? "" : "s"}`;
  return (
    <details className={styles.workflow} open={live || workflow.expanded}>
      <summary>{summary}</summary>
      <ol>
        {workflow.tasks.map((task, index) => (
          <li key={index} data-status={task.status_indicator}>
            {task.title && <strong>{task.title}</strong>}
            {task.content && <p>{task.content}</p>}
          </li>
        ))}
      </ol>
    </details>
  );
}
