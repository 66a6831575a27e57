const prefix = import.meta.env.VITE_API_PREFIX ?? "/api";

export async function listNotes() {
  const answer = await fetch(`${prefix}/notes`);
  return answer.json();
}
