// coopledger dashboard: reads the API under /v1 and draws the consortium at a chosen block height.
// No build step: plain modern JavaScript, cytoscape for the network, Chart.js for the growth chart, both
// served by the API from the project's node_modules.
"use strict";

const PALETTE = [
  "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
  "#9c755f", "#bab0ac", "#1f77b4", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#17becf",
];
const EDGE_COLOURS = { agreement: "#8da0cb", referral: "#fc8d62", value: "#66c2a5" };
const NATIVE = "0x0000000000000000000000000000000000000000"; // the chain's own coin, in agreements and programs
const NATIVE_DECIMALS = 18n; // an EVM chain counts its native coin in wei: 18 decimals

// assets: what each payment asset's contract says of itself (/v1/contracts), by lower-case address
const state = { head: null, block: null, cy: null, chart: null, selected: null, cursor: null, loading: 0, assets: {} };
window.coopledger = state; // for the member desk (desk.js), the browser tests and the curious

const $ = (selector) => document.querySelector(selector);

async function api(path) {
  const response = await fetch(path);
  const body = await response.json();
  if (!response.ok) {
    throw new Error(body.error ? body.error.message : `${path}: HTTP ${response.status}`);
  }
  return body;
}

function showError(error) {
  const banner = $("#error");
  banner.textContent = String(error.message || error);
  banner.hidden = false;
}

/** A decimal string of smallest units as whole tokens, e.g. "1234500000000000000000" with 18 decimals ->
 * "1,234.5" (at most two decimal places, cut rather than rounded). */
function wholeTokens(amount, decimals) {
  const value = BigInt(amount);
  const negative = value < 0n;
  const absolute = negative ? -value : value;
  const scale = 10n ** decimals;
  const whole = (absolute / scale).toLocaleString("en-US");
  const cents = ((absolute % scale) * 100n) / scale;
  const fraction = cents ? "." + String(cents).padStart(2, "0").replace(/0$/, "") : "";
  return (negative ? "-" : "") + whole + fraction;
}

/** The asset's symbol and decimals: from its contract (the indexer read them), 18 for the native coin; a
 * token that answers neither is named by its short address and its amounts are left in smallest units. */
function assetOf(address) {
  if (!address || address.toLowerCase() === NATIVE) return { symbol: "native coin", decimals: NATIVE_DECIMALS };
  const known = state.assets[address.toLowerCase()];
  const decimals = known && known.decimals !== null ? BigInt(known.decimals) : null;
  return { symbol: (known && known.symbol) || short(address), decimals };
}

/** An amount of ``asset`` as a person reads it: "1,234.5 cUSD". */
function tokens(amount, asset) {
  const { symbol, decimals } = assetOf(asset);
  if (decimals === null) return `${BigInt(amount).toLocaleString("en-US")} units of ${symbol}`;
  return `${wholeTokens(amount, decimals)} ${symbol}`;
}

/** A sector or region code (bytes32, as the contract stores it) as its text: "0x6261..." -> "bakery". */
function codeText(value) {
  const hex = String(value).replace(/^0x/, "").replace(/(00)+$/, "");
  if (!/^([0-9a-f]{2})*$/i.test(hex)) return String(value);
  const bytes = hex.match(/../g) || [];
  const text = new TextDecoder().decode(new Uint8Array(bytes.map((byte) => parseInt(byte, 16))));
  return /^[\x20-\x7e]+$/.test(text) ? text : short(String(value));
}

function percent(ratio) {
  return ratio === null || ratio === undefined ? "–" : `${(100 * ratio).toFixed(1)} %`;
}

function short(address) {
  return `${address.slice(0, 6)}…${address.slice(-4)}`;
}

function setCard(id, value, note) {
  $(`#${id} .value`).textContent = value;
  if (note !== undefined) $(`#${id} .note`).textContent = note;
}

function element(tag, properties = {}, children = []) {
  const { dataset, ...rest } = properties;
  const node = Object.assign(document.createElement(tag), rest);
  if (dataset) Object.assign(node.dataset, dataset);
  for (const child of children) node.append(child);
  return node;
}

// ------------------------------------------------------------------------------------------ height

/** The query that asks for the figures at `block`: none at the indexed head, whose answers come at once from
 * the newest computed figures (an explicit height at a new head would wait for its global figures, up to
 * the metrics worker's interval); `as_of_block` for any other block. */
function heightQuery(block) {
  return block === state.head ? "" : `as_of_block=${block}`;
}

async function loadHead() {
  const health = await api("/health");
  state.head = health.indexed_head;
  const status = health.status === "ok" ? `indexed to block ${health.indexed_head}, ${health.lag} behind the chain`
    : `degraded: chain ${health.chain}, store ${health.store}`;
  $("#status").textContent = status;
  const slider = $("#as-of");
  slider.max = String(state.head);
  return state.head;
}

/** The block of the first admission: events are listed in chain order, so it is the first of its kind. */
async function firstMemberBlock() {
  const first = await api("/v1/events?event=MemberAdmitted&limit=1");
  return first.data.length ? first.data[0].block_number : state.head;
}

async function show(block) {
  state.block = block;
  $("#as-of").value = String(block);
  $("#as-of-value").textContent = String(block);
  state.loading += 1;
  document.body.dataset.loading = "true";
  try {
    const at = heightQuery(block);
    const [network, sharing, referrals, alerts, activity, graph, digest, active, loyalty, satisfaction] = await Promise.all([
      api(`/v1/metrics/network?${at}`),
      api(`/v1/metrics/value-sharing?${at}`),
      api(`/v1/metrics/referrals?${at}`),
      api(`/v1/alerts?${at}`),
      api(`/v1/metrics/activity?${at}&period=week`),
      api(`/v1/graph?${at}`),
      api(`/v1/audit/digest?to_block=${block}`),
      api(`/v1/agreements?active_at_block=${block}&limit=1`),
      api(`/v1/metrics/loyalty?${at}&period=month`),
      api(`/v1/metrics/satisfaction?${at}`),
    ]);
    if (block !== state.block) return; // a newer request took over
    showCards(network, sharing, referrals, alerts, activity, active);
    showLoyalty(loyalty);
    showSatisfaction(satisfaction);
    drawNetwork(graph);
    drawGrowth(activity);
    listAlerts(alerts);
    $("#digest").textContent = `${digest.digest} (${digest.events} events)`;
    if (state.selected) await showProfile(state.selected);
  } finally {
    state.loading -= 1;
    if (!state.loading) document.body.dataset.loading = "false";
  }
}

function showCards(network, sharing, referrals, alerts, activity, active) {
  const weeks = activity.data;
  const week = weeks[weeks.length - 1];
  setCard("card-members", network.members.toLocaleString("en-US"), week
    ? `in the network at this block; +${week.new_members} in its week (growth ${percent(week.growth_rate)})`
    : "in the network at this block");
  const engaged = week && network.members ? week.active_members / network.members : null;
  setCard("card-engagement", percent(engaged), week
    ? `of the members took part in its week; ${week.interactions_per_member === null ? "–"
      : week.interactions_per_member.toFixed(1)} interactions each`
    : "no activity yet");
  $("#card-engagement").dataset.engaged = engaged === null ? "" : String(engaged);
  const formed = activity.data.reduce((sum, period) => sum + period.new_agreements, 0);
  setCard("card-agreements", active.count.toLocaleString("en-US"), `in force at this block; ${formed} signed so far`);
  const main = sharing.assets[0];
  setCard("card-value", main ? tokens(main.total, main.asset) : "0",
    main ? `credited through agreements, in ${assetOf(main.asset).symbol}` : "nothing credited yet");
  const total = referrals.total;
  setCard("card-conversion", percent(total.conversion_rate),
    `${total.conversions} of ${total.referrals} referrals converted`);
  const stated = referrals.programs.filter((program) => program.saving !== null);
  const savedIn = Object.keys(referrals.acquisition_saving)[0];
  setCard("card-saving", savedIn ? tokens(referrals.acquisition_saving[savedIn], savedIn) : "–",
    stated.length ? `what ${stated.length} program(s) saved their sponsors against their usual cost of a customer`
      : "no sponsor stated its usual cost of a customer yet");
  setCard("card-density", network.density.toFixed(3),
    `${network.ties} ties among ${network.members} members`);
  setCard("card-alerts", String(alerts.count), alerts.count ? "early warnings, listed below" : "none");
}

/** Partner retention of the last month that has one (the ties of the month before active again), with that
 * month's churn and the members' average tenure. */
function showLoyalty(loyalty) {
  const measured = loyalty.data.filter((month) => month.partner_retention !== null);
  const last = measured[measured.length - 1];
  const tenure = loyalty.average_tenure_days === null ? "–" : `${Math.round(loyalty.average_tenure_days)} days`;
  const renewed = loyalty.renewals_by_extension + loyalty.renewals_by_new_agreement;
  setCard("card-retention", last ? percent(last.partner_retention) : "–",
    last ? `of last month's ties active again in ${new Date(last.start * 1000).toISOString().slice(0, 7)}; churn `
      + `${percent(last.churn_rate)}; average tenure ${tenure}; ${renewed} agreement(s) renewed`
      : "needs two months of activity");
  $("#card-retention").dataset.retention = last ? String(last.partner_retention) : "";
}

/** The mean of the ratings that count, with the net promoter score and how many partners rated back. */
function showSatisfaction(satisfaction) {
  const rated = satisfaction.ratings;
  const nps = satisfaction.net_promoter_score;
  setCard("card-satisfaction", rated ? `${satisfaction.mean_score.toFixed(1)} / 5` : "–",
    rated ? `from ${rated} rating(s); net promoter score ${nps > 0 ? "+" : ""}${Math.round(nps)}; `
      + `${percent(satisfaction.reciprocity)} rated back` : "no partner rated another yet");
  $("#card-satisfaction").dataset.mean = rated ? String(satisfaction.mean_score) : "";
  state.satisfaction = satisfaction;
}

// ----------------------------------------------------------------------------------------- network

function edgeKind(kinds) {
  const found = kinds.split(",");
  if (found.includes("agreement")) return "agreement";
  if (found.some((kind) => ["referral", "conversion", "reward"].includes(kind))) return "referral";
  return "value";
}

function categoryColours(nodes, key) {
  const categories = [...new Set(nodes.map((node) => String(node[key])))].sort((a, b) =>
    key === "community" ? Number(a) - Number(b) : a.localeCompare(b));
  return new Map(categories.map((category, index) => [category, PALETTE[index % PALETTE.length]]));
}

function drawNetwork(graph) {
  const container = $("#graph");
  container.dataset.nodes = String(graph.nodes.length);
  container.dataset.edges = String(graph.links.length);
  const previous = new Map();
  if (state.cy) state.cy.nodes().forEach((node) => previous.set(node.id(), { ...node.position() }));
  const elements = [
    ...graph.nodes.map((node) => ({ data: { ...node, id: node.id, label: node.name || short(node.id) } })),
    ...graph.links.map((link) => ({
      data: { id: `${link.source}|${link.target}`, source: link.source, target: link.target,
        weight: link.weight, kind: edgeKind(link.kinds || "") },
    })),
  ];
  if (!state.cy) {
    state.cy = cytoscape({
      container,
      elements,
      wheelSensitivity: 0.3,
      maxZoom: 1.6, // a few members without ties would otherwise fill the frame
      style: [
        { selector: "node", style: { label: "data(label)", "font-size": 7, "text-valign": "bottom",
          "text-margin-y": 2, color: "#333", "border-width": 1, "border-color": "#fff" } },
        { selector: "node:selected", style: { "border-width": 3, "border-color": "#222" } },
        { selector: "edge", style: { width: "mapData(weight, 1, 40, 0.6, 5)", opacity: 0.55,
          "curve-style": "haystack" } },
        ...Object.entries(EDGE_COLOURS).map(([kind, colour]) => ({
          selector: `edge[kind = "${kind}"]`, style: { "line-color": colour } })),
        { selector: "edge.proposed", style: { "line-style": "dashed", "line-color": "#222", width: 1.6, opacity: 0.9,
          "curve-style": "straight" } },
      ],
    });
    state.cy.on("tap", "node", (event) => showProfile(event.target.id()));
    state.cy.on("tap", "edge", (event) => showTie(event.target.data("source"), event.target.data("target"))
      .catch(showError));
    state.cy.on("mouseover", "node", (event) => {
      const node = event.target.data();
      const hover = $("#hover");
      hover.textContent = `${node.name || node.id} · ${node.sector} · ${node.region} · community ${node.community}`
        + ` · PageRank ${Number(node.pagerank).toFixed(4)} — click for the profile`;
      hover.hidden = false;
    });
    state.cy.on("mouseout", "node", () => { $("#hover").hidden = true; });
  } else if (sameElements(elements)) { // a new block that changed no member or tie: no new layout
    state.cy.batch(() => elements.forEach(({ data: { id, source, target, ...figures } }) => {
      state.cy.getElementById(id).data(figures); // an element's id and ends never change
    }));
    styleNodes();
    drawProposed().catch(showError);
    return;
  } else {
    state.cy.elements().remove();
    state.cy.add(elements);
  }
  const fresh = state.cy.nodes().filter((node) => !previous.has(node.id()));
  state.cy.nodes().forEach((node) => { if (previous.has(node.id())) node.position(previous.get(node.id())); });
  const layout = fresh.length === state.cy.nodes().length
    ? { name: "cose", animate: false, randomize: true, nodeRepulsion: () => 9000, idealEdgeLength: () => 60 }
    : { name: "cose", animate: false, randomize: false, nodeRepulsion: () => 9000, idealEdgeLength: () => 60 };
  state.cy.layout(layout).run();
  styleNodes();
  drawProposed().catch(showError);
}

/** Whether `elements` are the members and ties drawn now (their data may differ: figures, weights). */
function sameElements(elements) {
  const drawn = state.cy.elements().not(".proposed");
  return drawn.length === elements.length && elements.every((element) => drawn.getElementById(element.data.id).length);
}

/** The proposed ties, dashed, as the "proposed ties" control asks: the consortium's ties for resilience, or
 * the suggested partners of the member whose profile is shown; none by default. */
async function drawProposed() {
  if (!state.cy) return;
  state.cy.edges(".proposed").remove();
  const which = $("#proposed").value;
  const at = heightQuery(state.block);
  let pairs = [];
  if (which === "resilience") {
    const found = await api(`/v1/recommendations/resilience?${at}`);
    pairs = found.data.map((tie) => [tie.a, tie.b]);
  } else if (which === "member" && state.selected) {
    const found = await api(`/v1/members/${state.selected}/recommendations?${at}&top=5`);
    pairs = found.data.map((row) => [state.selected, row.partner]);
  }
  state.cy.add(pairs.filter(([a, b]) => state.cy.getElementById(a).length && state.cy.getElementById(b).length)
    .map(([a, b]) => ({ group: "edges", classes: "proposed", data: { id: `proposed|${a}|${b}`, source: a, target: b } })));
  $("#graph").dataset.proposed = String(pairs.length);
}

function styleNodes() {
  if (!state.cy) return;
  const colourBy = $("#colour-by").value;
  const sizeBy = $("#size-by").value;
  const nodes = state.cy.nodes().map((node) => node.data());
  const colours = categoryColours(nodes, colourBy);
  const values = nodes.map((node) => Number(node[sizeBy]) || 0);
  const largest = Math.max(...values, 1e-12);
  state.cy.nodes().forEach((node) => {
    const share = (Number(node.data(sizeBy)) || 0) / largest;
    node.style({ "background-color": colours.get(String(node.data(colourBy))), width: 8 + 30 * Math.sqrt(share),
      height: 8 + 30 * Math.sqrt(share) });
  });
  const legend = $("#legend");
  legend.replaceChildren(...[...colours].map(([category, colour]) => element("span", {}, [
    element("span", { className: "swatch", style: `background:${colour}` }),
    colourBy === "community" ? `community ${category}` : category,
  ])));
}

/** What two members said of each other: their ratings that count at the block shown, each way. */
async function showTie(a, b) {
  const ratings = await api(`/v1/ratings?member=${a}&${heightQuery(state.block)}`);
  const between = ratings.data.filter((rating) => [rating.rater, rating.ratee].includes(b));
  const said = (from, to) => {
    const found = between.filter((rating) => rating.rater === from && rating.ratee === to);
    return found.length ? found.map((rating) => `${rating.score}/5 (agreement ${rating.agreement_id} v${rating.version})`)
      .join(", ") : "no rating";
  };
  const nameOf = (address) => memberName(address).textContent;
  const tie = $("#tie");
  tie.textContent = `${nameOf(a)} ↔ ${nameOf(b)}: ${nameOf(a)} rates ${said(a, b)}; ${nameOf(b)} rates ${said(b, a)}.`;
  tie.dataset.ratings = String(between.length);
  tie.hidden = false;
}

// ----------------------------------------------------------------------------------------- profile

async function showProfile(address) {
  state.selected = address;
  const at = heightQuery(state.block);
  let metrics;
  try {
    metrics = await api(`/v1/metrics/members/${address}?${at}`);
  } catch (error) {
    showError(error);
    return;
  }
  const [member, alerts, ratings, suggested] = await Promise.all([
    api(`/v1/members/${address}`), api(`/v1/alerts?${at}`), api(`/v1/ratings?member=${address}&${at}`),
    api(`/v1/members/${address}/recommendations?${at}&top=5`),
  ]);
  const panel = $("#profile");
  panel.dataset.address = address;
  $("#profile-name").textContent = metrics.name || address;
  $("#profile-meta").textContent = `${metrics.sector} · ${metrics.region} · ${member.status} · ${address}`;
  // global figures may predate a member that just joined (null): shown as "computing…"
  const global = (value, digits) => (value === null ? "computing…" : value.toFixed(digits));
  const figures = [
    ["partners", metrics.partner_diversity.partners],
    ["community", metrics.community === null ? "computing…" : metrics.community],
    ["PageRank", global(metrics.pagerank, 4)],
    ["betweenness", global(metrics.betweenness, 4)],
    ["constraint", metrics.constraint === null ? "–" : metrics.constraint.toFixed(3)],
    ["single point of failure", metrics.articulation_point ? "yes" : "no"],
    ["referrals made", metrics.referrals.referrals],
    ["referrals converted", metrics.referrals.conversions],
    ["rewards earned", Object.entries(metrics.referrals.rewards_paid)
      .map(([asset, amount]) => tokens(amount, asset)).join(", ") || "0"],
    ...satisfactionFigures(address),
  ];
  $("#profile-figures").replaceChildren(...figures.flatMap(([name, value]) => [
    element("dt", { textContent: name }),
    element("dd", { textContent: String(value), dataset: { figure: name } }),
  ]));
  $("#profile-value tbody").replaceChildren(...metrics.value.map((flow) => element("tr", {}, [
    element("td", { textContent: assetOf(flow.asset).symbol, title: flow.asset }),
    element("td", { textContent: tokens(flow.received, flow.asset), dataset: { amount: flow.received } }),
    element("td", { textContent: tokens(flow.contributed, flow.asset), dataset: { amount: flow.contributed } }),
    element("td", { textContent: tokens(flow.net, flow.asset) }),
  ])));
  const node = state.cy && state.cy.getElementById(address);
  const partners = node && node.length ? node.neighborhood("node").map((partner) => partner.data("label")) : [];
  $("#profile-partners").replaceChildren(...partners.sort().map((name) => element("li", { textContent: name })));
  $("#profile-suggestions").replaceChildren(...(suggested.data.length ? suggested.data.map((row) => element("li", {
    dataset: { partner: row.partner } }, [memberName(row.partner), ` — ${row.reasons.slice(0, 3).map((reason) => reason.text)
    .join("; ") || "no reason beyond chance"} (score ${row.score.toFixed(2)})`])) : [element("li", { className: "muted",
    textContent: "none: it works with every member already" })]));
  if ($("#proposed").value === "member") drawProposed().catch(showError);
  const received = ratings.data.filter((rating) => rating.ratee === address);
  $("#profile-ratings").replaceChildren(...(received.length ? received.map((rating) => element("li", {}, [
    memberName(rating.rater), ` rates it ${rating.score}/5 in agreement ${rating.agreement_id} (version ${rating.version})`
      + (/^0x0+$/.test(rating.comment_hash) ? "" : ", with a written comment"),
  ])) : [element("li", { className: "muted", textContent: "no rating yet" })]));
  const mine = alerts.data.filter((alert) => alert.subject === address);
  $("#profile-alerts").replaceChildren(...(mine.length ? mine.map((alert) => element("li", {}, alertWords(alert)))
    : [element("li", { className: "muted", textContent: "none" })]));
  panel.hidden = false;
  if (node && node.length) { state.cy.elements().unselect(); node.select(); }
}

/** The member's satisfaction figures from the network's (shown with the cards, at the same block). */
function satisfactionFigures(address) {
  const found = state.satisfaction && state.satisfaction.members.find((row) => row.member === address);
  if (!found) return [["rated by partners", "no rating yet"]];
  return [
    ["rated by partners", found.received ? `${found.received_mean.toFixed(1)} / 5 (${found.received})` : "no rating yet"],
    ["ratings given", found.given ? `${found.given}, ${found.given_mean.toFixed(1)} / 5 on average` : "none"],
  ];
}

// ------------------------------------------------------------------------------------ growth, alerts

function drawGrowth(activity) {
  const labels = activity.data.map((period) => new Date(period.start * 1000).toISOString().slice(0, 10));
  const datasets = [
    { type: "line", label: "members", data: activity.data.map((p) => p.members), borderColor: PALETTE[0], yAxisID: "y" },
    { type: "line", label: "active members", data: activity.data.map((p) => p.active_members), borderColor: PALETTE[4], yAxisID: "y" },
    { type: "bar", label: "new agreements", data: activity.data.map((p) => p.new_agreements), backgroundColor: PALETTE[1], yAxisID: "y1" },
    { type: "bar", label: "new referrals", data: activity.data.map((p) => p.new_referrals), backgroundColor: PALETTE[2], yAxisID: "y1" },
  ];
  if (state.chart) {
    state.chart.data.labels = labels;
    state.chart.data.datasets.forEach((dataset, index) => { dataset.data = datasets[index].data; });
    state.chart.update("none");
    return;
  }
  state.chart = new Chart($("#growth-chart"), {
    data: { labels, datasets },
    options: {
      animation: false, maintainAspectRatio: false,
      scales: { y: { beginAtZero: true, title: { display: true, text: "members" } },
        y1: { beginAtZero: true, position: "right", grid: { drawOnChartArea: false },
          title: { display: true, text: "new per week" } } },
    },
  });
}

/** A member by its name (its short address when it has none), the address on hover; a click copies it. */
function memberName(address) {
  const node = state.cy && state.cy.getElementById(address);
  const name = node && node.length ? node.data("name") : "";
  const shown = element("button", {
    type: "button", className: "member-name", textContent: name || short(address), title: `${address} (click to copy)`,
  });
  shown.dataset.address = address;
  shown.addEventListener("click", () => navigator.clipboard && navigator.clipboard.writeText(address));
  return shown;
}

/** An alert in words, members by name and amounts in whole tokens, from its evidence (the API's message
 * names members by address and amounts in smallest units). */
function alertWords(alert) {
  const evidence = alert.evidence;
  switch (alert.kind) {
    case "free_rider":
      return [memberName(alert.subject), ` received ${tokens(evidence.received_from_members, evidence.asset)} from `
        + `its partners but contributed ${tokens(evidence.contributed, evidence.asset)} `
        + `(more than ${evidence.threshold}× as much).`];
    case "concentration":
      return [`Value received in ${assetOf(alert.subject).symbol} is concentrated: HHI `
        + `${Number(evidence.hhi).toFixed(2)} is above ${Number(evidence.threshold).toFixed(2)}.`];
    case "single_point_of_failure":
      return [memberName(alert.subject), ` is the only link between ${evidence.parts} parts of the network: `
        + `${evidence.cut_off.length} member(s) would be cut off if it left.`];
    case "sector_silo":
      return [memberName(alert.subject), ` has no partner outside its own sector (${evidence.sector}).`];
    case "low_rating":
      return [memberName(alert.subject), `: its partners rate it ${Number(evidence.mean).toFixed(1)} out of 5 on average `
        + `over ${evidence.ratings} ratings.`];
    case "ratings_far_apart":
      return [`In agreement ${evidence.agreement_id} (version ${evidence.version}), `, memberName(evidence.a),
        ` rates `, memberName(evidence.b), ` ${evidence.a_rates_b}/5 and is rated ${evidence.b_rates_a}/5 back.`];
    default:
      return [alert.message];
  }
}

function listAlerts(alerts) {
  $("#alerts").replaceChildren(...(alerts.data.length ? alerts.data.map((alert) => element("li", {}, [
    element("span", { className: `kind ${alert.kind}`, textContent: alert.kind.replaceAll("_", " ") }),
    " ", ...alertWords(alert),
  ])) : [element("li", { className: "muted", textContent: "no alert at this block" })]));
}

// ------------------------------------------------------------------------------------------- audit

function eventQuery() {
  const form = new FormData($("#event-filters"));
  const query = new URLSearchParams({ limit: "25" });
  for (const [name, value] of form) if (String(value).trim()) query.set(name, String(value).trim());
  return query;
}

function argText(key, value) {
  if (Array.isArray(value)) return `${value.length} items`;
  if (key === "sector" || key === "region") return codeText(value);
  return String(value).length > 20 ? short(String(value)) : String(value);
}

async function loadEvents(more = false) {
  const query = eventQuery();
  if (more && state.cursor) query.set("cursor", state.cursor);
  const page = await api(`/v1/events?${query}`);
  state.cursor = page.next_cursor;
  $("#event-count").textContent = page.count.toLocaleString("en-US");
  const rows = page.data.map((event) => element("tr", { dataset: { event: event.event } }, [
    element("td", { textContent: String(event.block_number) }),
    element("td", { textContent: String(event.log_index) }),
    element("td", { textContent: new Date(event.timestamp * 1000).toISOString().replace("T", " ").slice(0, 16) }),
    element("td", { textContent: event.contract }),
    element("td", { textContent: event.event, className: "event-name" }),
    element("td", { className: "args", textContent: Object.entries(event.args).map(([key, value]) => `${key}=${argText(key, value)}`).join(" ") }),
    element("td", { className: "hash", title: event.tx_hash, textContent: short(event.tx_hash) }),
  ]));
  if (more) $("#event-rows").append(...rows); else $("#event-rows").replaceChildren(...rows);
  $("#more-events").hidden = !state.cursor;
}

// -------------------------------------------------------------------------------------------- start

async function replay() {
  const first = await firstMemberBlock();
  const steps = 16;
  state.replaying = true;
  try {
    for (let step = 0; step <= steps; step += 1) {
      await show(Math.round(first + ((state.head - first) * step) / steps));
    }
  } finally {
    state.replaying = false;
  }
}

async function start() {
  $("#colour-by").addEventListener("change", styleNodes);
  $("#size-by").addEventListener("change", styleNodes);
  $("#proposed").addEventListener("change", () => drawProposed().catch(showError));
  $("#as-of").addEventListener("change", (event) => show(Number(event.target.value)).catch(showError));
  $("#as-of").addEventListener("input", (event) => { $("#as-of-value").textContent = event.target.value; });
  $("#replay").addEventListener("click", () => replay().catch(showError));
  $("#to-head").addEventListener("click", () => loadHead().then(show).catch(showError));
  $("#close-profile").addEventListener("click", () => { $("#profile").hidden = true; state.selected = null; });
  $("#event-filters").addEventListener("submit", (event) => {
    event.preventDefault();
    loadEvents().catch(showError);
  });
  $("#more-events").addEventListener("click", () => loadEvents(true).catch(showError));
  try {
    const head = await loadHead();
    if (head === null) {
      showError(new Error("Nothing is indexed yet: run `coopledger index`, then reload."));
      return;
    }
    const facts = await api("/v1/contracts");
    state.facts = facts; // the member desk (desk.js) acts from these
    state.assets = Object.fromEntries(facts.assets.map((asset) => [asset.address.toLowerCase(), asset]));
    $("#filter-contract").append(...Object.keys(facts.contracts).sort().map((name) => element("option", { textContent: name })));
    await Promise.all([show(head), loadEvents()]);
    follow();
    document.body.dataset.ready = "true";
    document.dispatchEvent(new Event("coopledger:ready"));
  } catch (error) {
    showError(error);
  }
}

/** Follow what happens through the API's event stream (`/v1/stream`, Server-Sent Events): a new event or an
 * alert that appears or clears brings the page to the new head when it shows the head (a chosen past block
 * stays; the slider reaches further). No polling loop: the browser's EventSource reconnects by itself and
 * resumes after the last message it had (Last-Event-ID). Bursts (a block of many events) redraw once. */
function follow() {
  const source = new EventSource("/v1/stream");
  let pending = null;
  const changed = () => {
    if (pending) return;
    pending = setTimeout(async function redraw() {
      if (state.loading) { // a redraw is under way: draw once more after it, not twice at once
        pending = setTimeout(redraw, 300);
        return;
      }
      pending = null;
      const atHead = state.block === state.head;
      try {
        const head = await loadHead();
        if (atHead && !state.replaying) await Promise.all([show(head), loadEvents()]);
        state.followed = (state.followed || 0) + 1;
        document.body.dataset.followed = String(state.followed); // for the browser tests: a live update landed
      } catch (error) {
        showError(error);
      }
    }, 500);
  };
  for (const name of ["ledger-event", "alert", "reorg"]) source.addEventListener(name, changed);
  source.addEventListener("ready", () => { document.body.dataset.streaming = "true"; });
  source.onerror = () => { document.body.dataset.streaming = "false"; };
  state.stream = source;
}

state.api = api;
state.element = element;
state.short = short;
state.tokens = tokens;
state.assetOf = assetOf;
/** Show the page at the indexed head again (the member desk calls it once the indexer has its change). */
state.refresh = async () => {
  const head = await loadHead();
  await Promise.all([show(head), loadEvents()]);
};

document.addEventListener("DOMContentLoaded", start);
