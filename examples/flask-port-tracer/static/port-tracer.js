// The trace form over fetch: a refusal is a 401 with a code, never a redirect to HTML.
document.getElementById("trace").addEventListener("submit", async (e) => {
  e.preventDefault();
  const mac = new FormData(e.target).get("mac");
  const res = await fetch("/api/trace", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ mac }),
  });
  document.getElementById("result").textContent = JSON.stringify(await res.json(), null, 2);
});
