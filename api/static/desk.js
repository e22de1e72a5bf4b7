// coopledger member desk (an ES module): connect a browser wallet, see what awaits the connected account, and
// act on the chain from the wallet.
//
// - The wallet is found through EIP-6963 (each installed wallet announces itself; the member picks one when
//   there are several), else the legacy `window.ethereum` (EIP-1193).
// - Every contract fact — addresses, ABIs, chain id, EIP-712 domains and types, custom errors' texts, asset
//   symbols and decimals, the ERC-20 interface — comes from `/v1/contracts` (app.js loads it into
//   `window.coopledger.facts`); nothing of the kind is copied here. Encoding, hashing and signing are ethers 6's,
//   served by the API from the project's node_modules.
// - Every write is simulated first (`staticCall`); a revert is shown in the contract's own words (its NatSpec,
//   the same text as the command line) and nothing is sent. A sent transaction shows its hash, then the block
//   that confirmed it, then the page shows the change once the indexer has it.
// - The API stays read-only: transactions and signatures go from the wallet to the chain. The page never asks
//   for a private key or a recovery phrase. The only thing it keeps in the browser is a referral's salt (see
//   `recordReferral`), and it says so.
import * as ethers from "/vendor/ethers.min.js";

const ledger = window.coopledger; // app.js's state: facts, assets, and the dashboard's refresh
const desk = { providers: new Map(), provider: null, signer: null, account: null, onChain: false, view: null };
ledger.desk = desk; // for the browser tests and the curious

const $ = (selector) => document.querySelector(selector);
const NATIVE = ethers.ZeroAddress;
const REJECTED = "You declined the request in your wallet: nothing was sent.";

// ------------------------------------------------------------------------------------------ words

const { element, short } = ledger; // app.js's: a short address, and an element built with its children

/** An asset's symbol and decimals (app.js's: from its contract, through the indexer). */
function assetOf(address) {
  return ledger.assetOf(address);
}

/** An amount of `asset` as the dashboard shows one ("1,234.5 cUSD"), the exact amount in smallest units as
 * `data-amount` of the element it goes in. */
function tokens(amount, asset) {
  return ledger.tokens(String(amount), asset);
}

function amount(value, asset) {
  return element("span", { className: "amount", textContent: tokens(value, asset), dataset: { amount: String(value) } });
}

/** Whole tokens typed by a person ("12.5") in `asset`'s smallest unit. */
function units(text, asset) {
  const { symbol, decimals } = assetOf(asset);
  const cleaned = String(text).trim().replaceAll(",", "");
  if (!/^[0-9]+(\.[0-9]+)?$/.test(cleaned)) throw new Error(`"${text}" is not an amount of ${symbol} (e.g. 12.5)`);
  return decimals === null ? BigInt(cleaned) : ethers.parseUnits(cleaned, Number(decimals));
}

function memberLabel(address) {
  const node = ledger.cy && ledger.cy.getElementById(address);
  const name = node && node.length ? node.data("name") : "";
  return name ? `${name} (${short(address)})` : short(address);
}

/** A member's own words for a sector or region: the contract stores them as right-padded bytes32. */
function code(text, what) {
  const bytes = ethers.toUtf8Bytes(String(text).trim());
  if (!bytes.length || bytes.length > 32) throw new Error(`${what} must be 1 to 32 characters`);
  return ethers.zeroPadBytes(bytes, 32);
}

/** What went wrong, in words: a contract's custom error from its NatSpec (the command line's text), a
 * declined request, or the wallet's own message. */
function problemWords(error) {
  const inner = error && (error.info && error.info.error ? error.info.error : error.error);
  if (error && (error.code === "ACTION_REJECTED" || error.code === 4001 || (inner && inner.code === 4001))) {
    return REJECTED;
  }
  const revert = error && error.revert;
  if (revert && revert.name) {
    for (const [name, contract] of Object.entries(ledger.facts.contracts)) {
      const text = contract.errors[revert.name];
      if (!text) continue;
      const fragment = new ethers.Interface(contract.abi).getError(revert.name);
      const values = Object.fromEntries(fragment.inputs.map((input, index) => [input.name, valueWords(input, revert.args[index])]));
      const said = text.replace(/`([A-Za-z0-9_]+)`/g, (whole, key) => (key in values ? values[key] : whole));
      return `${said} (${name}: ${revert.name})`;
    }
    return `The contract refused: ${revert.name}.`;
  }
  if (error && error.code === "CALL_EXCEPTION") return `The contract refused: ${error.shortMessage || error.message}.`;
  return String((error && (error.shortMessage || error.message)) || error);
}

/** A custom error's value in words: an address as the member's name, a time (a parameter named so) as a
 * date, anything else as it is. */
function valueWords(input, value) {
  if (input.type === "address") return memberLabel(ethers.getAddress(value));
  if (/(Time|time|At|deadline|expiry)$/.test(input.name)) return dateWords(value);
  return String(value);
}

function dateWords(seconds) {
  return `${new Date(Number(seconds) * 1000).toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

// ----------------------------------------------------------------------------------------- progress

function progress(words, failed = false) {
  const line = element("p", { textContent: words, className: failed ? "failed" : "" });
  $("#desk-progress").replaceChildren(line);
  $("#desk-progress").dataset.state = failed ? "failed" : "ok";
}

/** Show something the member keeps or hands on (a signature, a voucher, a referral's salt), with a file. */
function offer(words, text, fileName) {
  $("#desk-output").hidden = false;
  $("#desk-output-words").textContent = words;
  $("#desk-output-text").value = text;
  $("#desk-output-save").onclick = () => saveFile(fileName, text);
}

function saveFile(name, text) {
  const link = element("a", { href: URL.createObjectURL(new Blob([text], { type: "application/json" })), download: name });
  document.body.append(link);
  link.click();
  link.remove();
}

// ------------------------------------------------------------------------------------------- wallet

function announced(event) {
  const { info, provider } = event.detail || {};
  if (!info || !provider) return;
  desk.providers.set(info.uuid, { info, provider });
}

async function connectClicked() {
  const found = [...desk.providers.values()];
  if (found.length > 1) {
    const choices = $("#wallet-choices");
    choices.replaceChildren(...found.map(({ info, provider }) => {
      const button = element("button", { type: "button", dataset: { wallet: info.rdns || info.name } }, [
        ...(info.icon && info.icon.startsWith("data:image/") ? [element("img", { src: info.icon, alt: "" })] : []),
        `Connect ${info.name}`,
      ]);
      button.addEventListener("click", () => { choices.hidden = true; connect(provider, info.name).catch(failed("Connecting")); });
      return button;
    }));
    choices.hidden = false;
    choices.querySelector("button").focus();
    return;
  }
  if (found.length === 1) return connect(found[0].provider, found[0].info.name);
  if (window.ethereum) return connect(window.ethereum, "your wallet");
  progress("No browser wallet was found. Install one (MetaMask, Rabby, Frame…) and reload this page; "
    + "for the demo chain, `make demo` prints the network settings and a test account to import.", true);
}

async function connect(provider, name) {
  progress(`Asking ${name} to connect…`);
  let accounts;
  try {
    accounts = await provider.request({ method: "eth_requestAccounts" });
  } catch (error) {
    progress(problemWords(error) === REJECTED ? "You declined to connect: nothing is shared with this page." : problemWords(error), true);
    return;
  }
  if (!accounts || !accounts.length) {
    progress(`${name} shared no account: unlock it and connect again.`, true);
    return;
  }
  desk.provider = provider;
  desk.walletName = name;
  desk.account = ethers.getAddress(accounts[0]);
  progress("");
  if (provider.on) {
    provider.on("accountsChanged", (changed) => {
      desk.account = changed && changed.length ? ethers.getAddress(changed[0]) : null;
      afterWalletChange().catch(failed("Reading your desk"));
    });
    provider.on("chainChanged", () => afterWalletChange().catch(failed("Reading your desk")));
  }
  $("#connect").textContent = "Change account";
  await afterWalletChange();
}

async function afterWalletChange() {
  if (!desk.account) {
    $("#desk-body").hidden = true;
    $("#wallet-status").textContent = "Your wallet shares no account with this page now.";
    return;
  }
  const chainId = Number(await desk.provider.request({ method: "eth_chainId" }));
  desk.onChain = chainId === ledger.facts.chain_id;
  $("#network-warning").hidden = desk.onChain;
  document.body.dataset.walletChain = String(chainId);
  if (!desk.onChain) {
    $("#network-words").textContent = `Your wallet is on chain ${chainId}; the consortium's contracts are on chain `
      + `${ledger.facts.chain_id} (${ledger.facts.network}). Switch your wallet to it to act.`;
    $("#wallet-status").textContent = `Connected: ${desk.account}, on another network.`;
    $("#desk-body").hidden = true;
    return;
  }
  desk.signer = await new ethers.BrowserProvider(desk.provider, ledger.facts.chain_id).getSigner(desk.account);
  await loadDesk();
}

async function switchNetwork() {
  const chainId = ethers.toQuantity(ledger.facts.chain_id);
  try {
    await desk.provider.request({ method: "wallet_switchEthereumChain", params: [{ chainId }] });
  } catch (error) {
    const unknown = error && (error.code === 4902 || (error.data && error.data.originalError && error.data.originalError.code === 4902));
    if (!unknown) {
      progress(problemWords(error) === REJECTED ? "You declined to switch networks: the page waits on the other network." : problemWords(error), true);
      return;
    }
    if (!ledger.facts.rpc_url) {
      progress(`Your wallet does not know chain ${ledger.facts.chain_id}. Add it by hand (its RPC URL comes from `
        + "your consortium's operator), then switch to it.", true);
      return;
    }
    try {
      await desk.provider.request({ method: "wallet_addEthereumChain", params: [{
        chainId, chainName: `coopledger ${ledger.facts.network}`, rpcUrls: [ledger.facts.rpc_url],
        nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
      }] });
      // most wallets switch to a chain they add; one that does not is asked again
      if (Number(await desk.provider.request({ method: "eth_chainId" })) !== ledger.facts.chain_id) {
        await desk.provider.request({ method: "wallet_switchEthereumChain", params: [{ chainId }] });
      }
    } catch (added) {
      progress(problemWords(added), true);
      return;
    }
  }
  await afterWalletChange();
}

// --------------------------------------------------------------------------------------------- desk

async function loadDesk() {
  // the chain's clock, not the computer's: forms propose times from it (a test chain may run ahead)
  desk.now = (await desk.signer.provider.getBlock("latest")).timestamp;
  const view = await ledger.api(`/v1/members/${desk.account}/desk`);
  desk.view = view;
  desk.programAssets = Object.fromEntries(view.programs.map((program) => [program.id, program.asset]));
  const others = [...new Set(view.rewards_to_claim.map((referral) => referral.program_id))]
    .filter((id) => !(id in desk.programAssets));
  for (const program of await Promise.all(others.map((id) => ledger.api(`/v1/programs/${id}`)))) {
    desk.programAssets[program.id] = program.asset;
  }
  const member = view.member;
  $("#wallet-status").textContent = `Connected with ${desk.walletName}.`;
  $("#desk-who").textContent = member
    ? `${member.name} (${desk.account}) · ${member.status} member · as of block ${view.block}`
    : `${desk.account} is not a member of the consortium: you may deposit into an agreement, redeem a voucher `
      + `given to you, or release a dispute that ran out its time; the rest needs membership. As of block ${view.block}.`;
  document.body.dataset.deskAccount = desk.account;
  document.body.dataset.deskBlock = String(view.block);
  const active = member && member.status === "active";
  $("#desk-actions").replaceChildren(...deskActions(active).map(([label, run]) => button(label, run)));
  fill("#desk-proposals", view.proposals_to_vote, (proposal) => [
    `Proposal ${proposal.id}: ${proposal.kind.replaceAll("_", " ")} of ${memberLabel(proposal.subject)}, by `
      + `${memberLabel(proposal.proposer)} — ${proposal.approvals} of ${proposal.quorum_votes} approvals, open until `
      + `${dateWords(proposal.deadline)}. `,
    button("Approve", () => send(`Approve proposal ${proposal.id}`, "Consortium", "approve", [proposal.id])),
  ]);
  fill("#desk-versions", view.versions_to_sign, (version) => [
    `Agreement ${version.agreement_id}, version ${version.version} (${version.kind.replaceAll("_", " ")}, shares `
      + `${version.shares_bps.map((bps) => `${bps / 100} %`).join(" / ")}, ${version.signatures} of ${version.parties} `
      + "signatures). ",
    button("Sign", () => send(`Sign agreement ${version.agreement_id} version ${version.version}`, "Agreements", "sign",
      [version.agreement_id, version.version])),
    button("Sign off line (typed data)", () => signApproval(version.agreement_id, version.version)),
  ]);
  fill("#desk-disputes", view.disputes_to_vote, (dispute) => [
    `Agreement ${dispute.id}: dispute raised by ${memberLabel(dispute.raised_by)} in block ${dispute.raised_block}, `
      + `${tokens(dispute.held, dispute.asset)} held, ${dispute.votes} vote(s) to resolve. `,
    button("Vote to resolve", () => send(`Vote to resolve the dispute on agreement ${dispute.id}`, "Agreements",
      "voteToResolve", [dispute.id])),
  ]);
  fill("#desk-agreements", view.agreements, agreementItem);
  fill("#desk-rewards", view.rewards_to_claim, (referral) => [
    `Program ${referral.program_id}: `, amount(referral.reward, programAsset(referral.program_id)),
    ` for referral ${short(referral.commitment)}. `,
    button("Claim", () => send(`Claim the reward of referral ${short(referral.commitment)}`, "ReferralRewards",
      "claimReward", [referral.program_id, referral.commitment])),
  ]);
  fill("#desk-conversions", view.conversions_to_confirm, (referral) => [
    `Program ${referral.program_id}: ${memberLabel(referral.referrer)} referred ${short(referral.commitment)}. `,
    button("Confirm a conversion", () => confirmConversion(referral)),
    button("Sign a voucher", () => signVoucher(referral)),
  ]);
  fill("#desk-programs", view.programs, (program) => [
    `Program ${program.id} (${program.status}): ${program.referrals} referrals, ${program.conversions} converted; `
      + `funded ${tokens(program.funded, program.asset)}, paid ${tokens(program.paid, program.asset)}. `,
    button("State your usual cost of a customer", () => acquisitionCostForm(program)),
    ...(program.status === "open" ? [
      button("Fund", () => fundProgram(program)),
      button("Close", () => send(`Close program ${program.id}`, "ReferralRewards", "closeProgram", [program.id])),
      button("Revoke its vouchers", () => send(`Revoke the vouchers of program ${program.id}`, "ReferralRewards",
        "revokeVouchers", [program.id])),
    ] : []),
    ...(program.status === "closed" || program.expiry <= desk.now ? [
      button("Reclaim the budget left", () => send(`Reclaim the budget left in program ${program.id}`, "ReferralRewards",
        "reclaimBudget", [program.id])),
    ] : []),
  ]);
  $("#desk-body").hidden = false;
  $("#desk-refresh").hidden = false;
  desk.reads = (desk.reads || 0) + 1;
  document.body.dataset.deskReads = String(desk.reads); // for the browser tests: a new reading is in
}

function programAsset(programId) {
  return desk.programAssets[programId];
}

function agreementItem(agreement) {
  const left = BigInt(agreement.credited) - BigInt(agreement.withdrawn);
  const words = [`Agreement ${agreement.id} (${agreement.kind.replaceAll("_", " ")}, ${agreement.status}): your share `
    + `${agreement.share_bps / 100} %, credited `, amount(agreement.credited, agreement.asset), ", withdrawable ",
  element("span", { className: "withdrawable" }, [amount(left, agreement.asset)]), ". "];
  const id = agreement.id;
  const actions = [];
  if (left > 0n) actions.push(button("Withdraw", () => send(`Withdraw ${tokens(left, agreement.asset)} from agreement ${id}`, "Agreements", "withdraw", [id])));
  if (agreement.status !== "terminated") {
    actions.push(button("Deposit", () => depositForm(id)));
    actions.push(button("Amend", () => amendForm(id)));
    actions.push(button("Raise a dispute", () => disputeForm(id)));
    actions.push(button("Consent to terminate", () => send(`Consent to terminate agreement ${id}`, "Agreements", "consentToTerminate", [id])));
  }
  if (agreement.current_version > 0 && desk.view.member && desk.view.member.status === "active") {
    actions.push(button("Rate a partner", () => ratingForm(agreement)));
  }
  if (agreement.status === "disputed") {
    actions.push(button("Release the dispute", () => send(`Release the dispute on agreement ${id}`, "Agreements", "releaseDispute", [id])));
  }
  return element("span", { dataset: { agreement: String(id) } }, [...words, ...actions]);
}

function fill(selector, items, render) {
  $(selector).replaceChildren(...(items.length ? items.map((item) => element("li", {}, [render(item)].flat()))
    : [element("li", { className: "muted", textContent: "nothing" })]));
}

function button(label, run) {
  const made = element("button", { type: "button", textContent: label });
  made.addEventListener("click", () => Promise.resolve(run()).catch(failed(label)));
  return made;
}

function failed(what) {
  return (error) => progress(`${what}: ${problemWords(error)}`, true);
}

function deskActions(active) {
  const anybody = [
    ["Deposit into an agreement", () => depositForm(null)],
    ["Redeem a voucher", redeemForm],
    ["Submit collected signatures", () => submitSignaturesForm(null, null)],
    ["Submit a signed rating", submitRatingForm],
  ];
  if (!active) return anybody;
  return [
    ["Propose an agreement", proposeAgreementForm],
    ["Record a referral", recordReferralForm],
    ["Create a referral program", createProgramForm],
    ["Propose an admission", admissionForm],
    ["Propose a suspension", () => accountProposalForm("Propose a suspension", "proposeSuspension", "suspend")],
    ["Propose a reinstatement", () => accountProposalForm("Propose a reinstatement", "proposeReinstatement", "reinstate")],
    ...anybody,
    ["Leave the consortium", () => send("Leave the consortium", "Consortium", "exit", [])],
  ];
}

// ------------------------------------------------------------------------------------------ sending

function contract(name) {
  const facts = ledger.facts.contracts[name];
  return new ethers.Contract(facts.address, facts.abi, desk.signer);
}

/** Simulate `target.fn(...args)` from the connected account; if it would revert, say why and send nothing;
 * else send it from the wallet, follow it to its block and until the indexer has it. True once done. */
async function transact(what, target, fn, args, overrides = {}) {
  progress(`${what}: checking it against the chain first…`);
  try {
    await target[fn].staticCall(...args, overrides);
  } catch (error) {
    progress(`${what} would fail, so nothing was sent: ${problemWords(error)}`, true);
    return false;
  }
  progress(`${what}: confirm it in your wallet…`);
  let sent;
  try {
    sent = await target[fn](...args, overrides);
  } catch (error) {
    progress(`${what}: ${problemWords(error)}`, true);
    return false;
  }
  progress(`${what}: sent, transaction ${sent.hash}; waiting for a block…`);
  const receipt = await sent.wait();
  if (!receipt || receipt.status !== 1) {
    progress(`${what}: transaction ${sent.hash} failed in block ${receipt ? receipt.blockNumber : "?"}.`, true);
    return false;
  }
  progress(`${what}: confirmed in block ${receipt.blockNumber} (transaction ${sent.hash}); waiting for the ledger…`);
  await indexed(receipt.blockNumber);
  progress(`${what}: confirmed in block ${receipt.blockNumber} (transaction ${sent.hash}); the ledger shows it.`);
  document.body.dataset.lastBlock = String(receipt.blockNumber);
  return true;
}

function send(what, name, fn, args, overrides = {}) {
  return transact(what, contract(name), fn, args, overrides);
}

/** Wait until the indexer has block `block`, then show the desk at the new head; the dashboard follows through
 * the event stream (app.js), or is brought to the head here when the stream is not connected. */
async function indexed(block) {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const health = await ledger.api("/health");
    if (health.indexed_head !== null && health.indexed_head >= block) break;
    if (Date.now() > deadline) throw new Error(`the indexer has not reached block ${block} after two minutes`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  await loadDesk();
  if (document.body.dataset.streaming !== "true") {
    ledger.refresh().catch((error) => progress(`The dashboard could not be brought up to date: ${error.message}`, true));
  }
}

/** Approve `spender` for `amount` of ERC-20 `asset` first when its allowance is short (nothing for the
 * native coin). True when the allowance is there. */
async function allowed(asset, spender, amount) {
  if (asset.toLowerCase() === NATIVE) return true;
  const token = new ethers.Contract(asset, ledger.facts.token_abi, desk.signer);
  if ((await token.allowance(desk.account, spender)) >= amount) return true;
  return transact(`Allow the ${spenderName(spender)} contract to take ${tokens(amount, asset)}`, token, "approve", [spender, amount]);
}

function spenderName(address) {
  return Object.entries(ledger.facts.contracts).find(([, facts]) => facts.address === address)?.[0] || short(address);
}

// ------------------------------------------------------------------------------------------- forms

/** Ask for `fields` in the dialog; `run(values)` does the work once the member sends (the dialog stays open
 * with the problem when a value is wrong). */
function form(title, about, fields, run) {
  const dialog = $("#action-dialog");
  $("#action-title").textContent = title;
  $("#action-about").textContent = about;
  $("#action-problem").hidden = true;
  $("#action-fields").replaceChildren(...fields.flatMap((field) => {
    const id = `field-${field.name}`;
    const control = field.options
      ? element("select", { id, name: field.name }, field.options.map(([value, label]) => element("option", { value, textContent: label })))
      : field.type === "textarea"
        ? element("textarea", { id, name: field.name, rows: 4, value: field.value || "" })
        : element("input", { id, name: field.name, type: field.type || "text", value: field.value || "", ...(field.type === "file" ? {} : { autocomplete: "off" }) });
    if (field.value !== undefined && field.options) control.value = field.value;
    if (field.help) control.setAttribute("aria-describedby", `${id}-help`);
    return [element("label", { htmlFor: id, textContent: field.label }), control,
      ...(field.help ? [element("p", { id: `${id}-help`, className: "help", textContent: field.help })] : [])];
  }));
  $("#action-form").onsubmit = async (event) => {
    event.preventDefault();
    const values = Object.fromEntries(fields.map((field) => {
      const control = $(`#field-${field.name}`);
      return [field.name, field.type === "file" ? control.files[0] || null : control.value];
    }));
    let work;
    try {
      work = await run(values);
    } catch (error) {
      $("#action-problem").textContent = error.message;
      $("#action-problem").hidden = false;
      return;
    }
    dialog.close();
    if (work) await work().catch(failed(title));
  };
  $("#action-cancel").onclick = () => dialog.close();
  dialog.showModal();
  const first = $("#action-fields").querySelector("input, select, textarea");
  if (first) first.focus();
}

function address(text, what) {
  const cleaned = String(text).trim();
  if (!ethers.isAddress(cleaned)) throw new Error(`${what}: "${cleaned}" is not an address (0x and 40 hex digits)`);
  return ethers.getAddress(cleaned);
}

function wholeNumber(text, what) {
  const cleaned = String(text).trim();
  if (!/^[0-9]+$/.test(cleaned)) throw new Error(`${what}: "${cleaned}" is not a whole number`);
  return BigInt(cleaned);
}

function timestamp(text, what) {
  const time = Date.parse(`${text}Z`);
  if (Number.isNaN(time)) throw new Error(`${what}: choose a date and time`);
  return BigInt(Math.floor(time / 1000));
}

/** The chain's time `days` from now, as a date-and-time field shows it (UTC). */
function inDays(days) {
  return new Date((desk.now + days * 86_400) * 1000).toISOString().slice(0, 16);
}

async function fileHash(file, what) {
  if (!file) throw new Error(`${what}: choose the document`);
  return ethers.keccak256(new Uint8Array(await file.arrayBuffer()));
}

function assetOptions() {
  return [[NATIVE, "the native coin"], ...ledger.facts.assets.map((asset) => [asset.address, `${asset.symbol || short(asset.address)} (${asset.name || asset.address})`])];
}

/** Party lines "0xADDRESS 50" (a share in per cent) as parties and shares in basis points summing to 10 000. */
function partyShares(text) {
  const parties = [];
  const shares = [];
  for (const line of String(text).split("\n").map((item) => item.trim()).filter(Boolean)) {
    const [who, share] = line.split(/[\s=,;]+/);
    parties.push(address(who, "a party"));
    if (!/^[0-9]+(\.[0-9]{1,2})?$/.test(share || "")) throw new Error(`the share of ${who}: "${share || ""}" is not a percentage`);
    shares.push(Math.round(Number(share) * 100));
  }
  const total = shares.reduce((sum, share) => sum + share, 0);
  if (parties.length < 2) throw new Error("an agreement needs at least two parties, one per line");
  if (total !== 10_000) throw new Error(`the shares add up to ${total / 100} %; they must add up to 100 %`);
  return { parties, shares };
}

function proposeAgreementForm() {
  const kinds = ledger.facts.contracts.Agreements.enums.Kind;
  form("Propose an agreement", "You propose and sign version 1; each other party signs it (here, or off line by typed data). "
    + "The terms document is hashed in your browser: only its digest goes on chain, the document is never uploaded.", [
    { name: "kind", label: "kind of co-operation", options: kinds.map((kind) => [kind, kind.replaceAll("_", " ")]) },
    { name: "parties", label: "parties and their shares", type: "textarea", value: `${desk.account} 50\n`,
      help: "one party per line: its address and its share in per cent (e.g. 0xAbc… 40); you must be one of them" },
    { name: "terms", label: "terms document", type: "file" },
    { name: "uri", label: "where the parties keep the terms (optional)" },
    { name: "asset", label: "paid in", options: assetOptions(), value: ledger.facts.assets[0] ? ledger.facts.assets[0].address : NATIVE },
    { name: "start", label: "starts (UTC)", type: "datetime-local", value: inDays(0) },
    { name: "end", label: "ends (UTC)", type: "datetime-local", value: inDays(365) },
  ], async (values) => {
    const { parties, shares } = partyShares(values.parties);
    const proposal = {
      kind: kinds.indexOf(values.kind), termsHash: await fileHash(values.terms, "terms document"), uri: values.uri.trim(),
      parties, sharesBps: shares, asset: values.asset, startTime: timestamp(values.start, "start"), endTime: timestamp(values.end, "end"),
    };
    return () => send(`Propose a ${values.kind.replaceAll("_", " ")} agreement`, "Agreements", "propose", [proposal]);
  });
}

function amendForm(id) {
  form(`Amend agreement ${id}`, "Proposes version N+1 with new terms, shares and end; every party signs it before it takes effect.", [
    { name: "shares", label: "shares in per cent, in the agreement's party order", help: "e.g. 50 30 20" },
    { name: "terms", label: "new terms document", type: "file" },
    { name: "uri", label: "where the parties keep them (optional)" },
    { name: "end", label: "ends (UTC)", type: "datetime-local", value: inDays(365) },
  ], async (values) => {
    const shares = values.shares.trim().split(/[\s,;/]+/).map((share) => Math.round(Number(share) * 100));
    if (shares.some((share) => !Number.isFinite(share) || share <= 0)) throw new Error("shares: positive percentages, e.g. 50 30 20");
    const termsHash = await fileHash(values.terms, "terms document");
    return () => send(`Amend agreement ${id}`, "Agreements", "proposeAmendment", [id, termsHash, values.uri.trim(), shares, timestamp(values.end, "end")]);
  });
}

function disputeForm(id) {
  form(`Raise a dispute on agreement ${id}`, "Deposits are held, not credited, until the dispute ends. Your statement is hashed "
    + "in your browser: only its digest goes on chain.", [
    { name: "statement", label: "your statement of the dispute", type: "textarea" },
  ], async (values) => {
    if (!values.statement.trim()) throw new Error("say what the dispute is about");
    return () => send(`Raise a dispute on agreement ${id}`, "Agreements", "raiseDispute", [id, ethers.id(values.statement.trim())]);
  });
}

function depositForm(id) {
  form("Deposit into an agreement", "Anybody may deposit: the parties are credited their shares at once (held while disputed). "
    + "For a token, your wallet is first asked to allow the Agreements contract to take the amount.", [
    { name: "agreement", label: "agreement", value: id === null ? "" : String(id) },
    { name: "amount", label: "amount, in whole tokens of the agreement's asset", help: "e.g. 125.50" },
  ], async (values) => {
    const agreement = await ledger.api(`/v1/agreements/${wholeNumber(values.agreement, "agreement")}`);
    const amount = units(values.amount, agreement.asset);
    if (amount <= 0n) throw new Error("amount: more than nothing");
    const native = agreement.asset.toLowerCase() === NATIVE;
    return async () => {
      if (!(await allowed(agreement.asset, ledger.facts.contracts.Agreements.address, amount))) return;
      await send(`Deposit ${tokens(amount, agreement.asset)} into agreement ${agreement.id}`, "Agreements", "deposit",
        [agreement.id, agreement.asset, amount], native ? { value: amount } : {});
    };
  });
}

/** Sign version `version` of agreement `id` off line (EIP-712 typed data, in the Agreements contract's domain,
 * from /v1/contracts): the signature is handed to whoever submits the parties' signatures in one transaction. */
async function signApproval(id, version) {
  const facts = ledger.facts.contracts.Agreements;
  const contentHash = await contract("Agreements").contentHash(id, version);
  const types = { AgreementApproval: facts.typed_data.AgreementApproval };
  const message = { agreementId: id, version, contentHash };
  progress(`Sign agreement ${id} version ${version} off line: confirm it in your wallet…`);
  let signature;
  try {
    signature = await desk.signer.signTypedData(facts.eip712_domain, types, message);
  } catch (error) {
    progress(`Signing agreement ${id}: ${problemWords(error)}`, true);
    return;
  }
  const signed = { agreement_id: id, version, signer: desk.account, signature };
  progress(`You signed agreement ${id} version ${version} off line. Hand the signature below to the party who submits them.`);
  offer(`Your signature of agreement ${id}, version ${version} (nothing was sent; anybody may submit it):`, signature,
    `agreement-${id}-v${version}-${desk.account}.signature.json`);
  $("#desk-output-save").onclick = () => saveFile(`agreement-${id}-v${version}-${desk.account}.signature.json`, JSON.stringify(signed, null, 2));
}

function submitSignaturesForm(id, version) {
  form("Submit collected signatures", "Submit the parties' off-line signatures of one agreement version in one transaction "
    + "(anybody may).", [
    { name: "agreement", label: "agreement", value: id === null ? "" : String(id) },
    { name: "version", label: "version", value: version === null ? "1" : String(version) },
    { name: "signatures", label: "signatures", type: "textarea", help: "one per line: 0x… (130 hex digits), or the JSON a party saved" },
  ], async (values) => {
    const signatures = values.signatures.split(/\n(?=\s*[0-9x{])/).map((item) => item.trim()).filter(Boolean).map((item) => {
      const text = item.startsWith("{") ? JSON.parse(item).signature : item;
      if (!/^0x[0-9a-fA-F]{130}$/.test(String(text))) throw new Error(`"${String(text).slice(0, 16)}…" is not a 65-byte signature`);
      return text;
    });
    if (!signatures.length) throw new Error("signatures: paste at least one");
    const agreement = wholeNumber(values.agreement, "agreement");
    const chosen = wholeNumber(values.version, "version");
    return () => send(`Submit ${signatures.length} signature(s) for agreement ${agreement}`, "Agreements", "signWithSignatures", [agreement, chosen, signatures]);
  });
}

function admissionForm() {
  form("Propose an admission", "The consortium votes; the newcomer is admitted once the quorum approves.", [
    { name: "account", label: "the newcomer's address" },
    { name: "name", label: "business name" },
    { name: "sector", label: "sector", help: "e.g. bakery, plumbing (up to 32 characters)" },
    { name: "region", label: "region", help: "e.g. old-town (up to 32 characters)" },
  ], async (values) => {
    const profile = { account: address(values.account, "address"), name: values.name.trim(), sector: code(values.sector, "sector"), region: code(values.region, "region") };
    if (!profile.name) throw new Error("name: the business's name");
    return () => send(`Propose to admit ${profile.name}`, "Consortium", "proposeAdmission", [profile]);
  });
}

function accountProposalForm(title, fn, verb) {
  form(title, "The consortium votes; it takes effect once the quorum approves.", [
    { name: "account", label: `the member to ${verb}` },
  ], async (values) => {
    const account = address(values.account, "address");
    return () => send(`${title}: ${memberLabel(account)}`, "Consortium", fn, [account]);
  });
}

// ----------------------------------------------------------------------------------------- referrals

const SALTS = "coopledger.referral-salts"; // the only thing the page keeps in the browser: see recordReferralForm

function recordReferralForm() {
  form("Record a referral", "The customer's reference is never sent: your browser computes a commitment to it with a random "
    + "salt. The salt is kept in this browser's storage and offered as a file: keep the file — with the reference, it "
    + "proves the referral was yours. Nothing else is stored.", [
    { name: "program", label: "program" },
    { name: "lead", label: "the customer's reference (your own words, e.g. an order number)" },
  ], async (values) => {
    const program = wholeNumber(values.program, "program");
    const lead = values.lead.trim();
    if (!lead) throw new Error("the customer's reference: something you will recognise");
    const salt = ethers.hexlify(ethers.randomBytes(32));
    const commitment = ethers.keccak256(ethers.AbiCoder.defaultAbiCoder().encode(
      ["bytes32", "address", "bytes32"], [ethers.id(lead), desk.account, salt]));
    return async () => {
      const kept = { program_id: Number(program), referrer: desk.account, lead, salt, commitment };
      const saved = JSON.parse(localStorage.getItem(SALTS) || "[]");
      localStorage.setItem(SALTS, JSON.stringify([...saved, kept]));
      offer("Keep this file: the salt and the reference prove this referral is yours (also kept in this browser).",
        JSON.stringify(kept, null, 2), `referral-${program}-${commitment.slice(2, 10)}.json`);
      await send(`Record a referral in program ${program}`, "ReferralRewards", "recordReferral", [program, commitment]);
    };
  });
}

function createProgramForm() {
  form("Create a referral program", "You fund the rewards; members who bring you customers record referrals, and you "
    + "confirm their conversions (or sign vouchers). For a token, your wallet first allows the contract to take the budget.", [
    { name: "asset", label: "rewards paid in", options: assetOptions(), value: ledger.facts.assets[0] ? ledger.facts.assets[0].address : NATIVE },
    { name: "fixed", label: "fixed reward per conversion, in whole tokens", value: "5" },
    { name: "percent", label: "plus a share of the conversion's value, in per cent", value: "0" },
    { name: "cap", label: "at most per conversion, in whole tokens", value: "50",
      help: "the reward of one conversion never exceeds it; the fixed reward must fit under it" },
    { name: "perReferrer", label: "at most per referrer, in whole tokens (0: no limit)", value: "0" },
    { name: "expiry", label: "ends (UTC)", type: "datetime-local", value: inDays(180) },
    { name: "budget", label: "budget now, in whole tokens", value: "0" },
  ], async (values) => {
    const terms = {
      asset: values.asset, fixedReward: units(values.fixed, values.asset), rewardBps: Math.round(Number(values.percent) * 100),
      cap: units(values.cap, values.asset), perReferrerCap: units(values.perReferrer, values.asset), expiry: timestamp(values.expiry, "ends"),
    };
    if (!Number.isFinite(terms.rewardBps) || terms.rewardBps < 0) throw new Error("share: a percentage, e.g. 5");
    const budget = units(values.budget, values.asset);
    const native = values.asset.toLowerCase() === NATIVE;
    return async () => {
      if (budget && !(await allowed(values.asset, ledger.facts.contracts.ReferralRewards.address, budget))) return;
      await send("Create a referral program", "ReferralRewards", "createProgram", [terms, budget], native ? { value: budget } : {});
    };
  });
}

function fundProgram(program) {
  form(`Fund program ${program.id}`, "Adds to the program's budget.", [
    { name: "amount", label: `amount, in whole ${assetOf(program.asset).symbol}` },
  ], async (values) => {
    const amount = units(values.amount, program.asset);
    const native = program.asset.toLowerCase() === NATIVE;
    return async () => {
      if (!(await allowed(program.asset, ledger.facts.contracts.ReferralRewards.address, amount))) return;
      await send(`Fund program ${program.id} with ${tokens(amount, program.asset)}`, "ReferralRewards", "fund", [program.id, amount], native ? { value: amount } : {});
    };
  });
}

function acquisitionCostForm(program) {
  form(`Your usual cost of a customer (program ${program.id})`, "What you usually pay to win a customer without "
    + "referrals (advertising, discounts…). The ledger compares it with what each conversion through this program "
    + "cost you in rewards: the saving the network brings. You may state it again whenever it changes.", [
    { name: "cost", label: `cost of one customer, in whole ${assetOf(program.asset).symbol}` },
  ], async (values) => {
    const cost = units(values.cost, program.asset);
    return () => send(`State a cost of ${tokens(cost, program.asset)} per customer for program ${program.id}`,
      "ReferralRewards", "setAcquisitionCost", [program.id, cost]);
  });
}

function confirmConversion(referral) {
  const asset = programAsset(referral.program_id);
  form(`Confirm a conversion in program ${referral.program_id}`, `${memberLabel(referral.referrer)} brought you a customer: `
    + "say what the sale was worth; the reward is reserved from the budget and the referrer claims it.", [
    { name: "value", label: `the conversion's value, in whole ${assetOf(asset).symbol}` },
  ], async (values) => {
    const value = units(values.value, asset);
    return () => send(`Confirm the conversion of referral ${short(referral.commitment)}`, "ReferralRewards", "confirmConversion",
      [referral.program_id, referral.referrer, referral.commitment, value]);
  });
}

/** The sponsor signs a conversion voucher off line (EIP-712 in the ReferralRewards domain); the referrer, or
 * anybody, redeems it and the reward is paid at once. */
function signVoucher(referral) {
  const asset = programAsset(referral.program_id);
  form(`Sign a voucher for program ${referral.program_id}`, "Instead of confirming on chain yourself, sign a voucher and hand "
    + "it to the referrer: redeeming it confirms the conversion and pays the reward. Nothing is sent now.", [
    { name: "value", label: `the conversion's value, in whole ${assetOf(asset).symbol}` },
    { name: "deadline", label: "redeemable until (UTC)", type: "datetime-local", value: inDays(30) },
  ], async (values) => {
    const value = units(values.value, asset);
    const deadline = timestamp(values.deadline, "deadline");
    return async () => {
      const rewards = contract("ReferralRewards");
      const facts = ledger.facts.contracts.ReferralRewards;
      const voucher = {
        programId: BigInt(referral.program_id), referrer: referral.referrer, commitment: referral.commitment,
        conversionValue: value, reward: await rewards.rewardFor(referral.program_id, value), deadline,
        nonce: await rewards.voucherNonce(referral.program_id),
      };
      progress(`Sign a voucher for referral ${short(referral.commitment)}: confirm it in your wallet…`);
      let signature;
      try {
        signature = await desk.signer.signTypedData(facts.eip712_domain, { ConversionVoucher: facts.typed_data.ConversionVoucher }, voucher);
      } catch (error) {
        progress(`Signing the voucher: ${problemWords(error)}`, true);
        return;
      }
      const text = JSON.stringify({ voucher: Object.fromEntries(Object.entries(voucher).map(([key, item]) => [key, String(item)])), signature }, null, 2);
      progress(`You signed a voucher worth ${tokens(voucher.reward, asset)} to ${memberLabel(referral.referrer)}. Hand it over below.`);
      offer("The voucher (nothing was sent; the referrer redeems it):", text, `voucher-${referral.program_id}-${referral.commitment.slice(2, 10)}.json`);
    };
  });
}

const SCORES = [["5", "5 — excellent"], ["4", "4 — good"], ["3", "3 — fair"], ["2", "2 — poor"], ["1", "1 — very poor"]];

/** Rate a partner of `agreement` (one of the desk's), 1 to 5, under the version in force: on chain, or signed
 * off line for anybody to submit (no gas for the member). The comment is hashed in the browser: only its
 * digest goes on chain. Rating again replaces the member's rating of that partner under that version. */
async function ratingForm(agreement) {
  const detail = await ledger.api(`/v1/agreements/${agreement.id}`);
  const partners = detail.parties.map((party) => party.party).filter((party) => party !== desk.account);
  const ratings = contract("PartnerRatings");
  const opensAt = BigInt(agreement.start_time) + (await ratings.MIN_TIME_IN_FORCE());
  const open = BigInt(desk.now) >= opensAt ? "Rating is open." : `Rating opens on ${dateWords(opensAt)}.`;
  form(`Rate a partner in agreement ${agreement.id}`, `How has working with this partner gone under version `
    + `${agreement.current_version}? ${open} You may rate again later: your newest rating counts. A comment is `
    + "hashed in your browser; only its digest goes on chain, so keep the text yourself.", [
    { name: "partner", label: "partner", options: partners.map((party) => [party, memberLabel(party)]) },
    { name: "score", label: "score", options: SCORES, value: "4" },
    { name: "comment", label: "comment (optional, never uploaded)", type: "textarea" },
    { name: "how", label: "how", options: [["chain", "send it from my wallet"], ["offline", "sign it off line: anybody submits it, I pay no gas"]] },
  ], async (values) => {
    const score = Number(values.score);
    const comment = values.comment.trim() ? ethers.id(values.comment.trim()) : ethers.ZeroHash;
    const what = `Rate ${memberLabel(values.partner)} ${score} out of 5 in agreement ${agreement.id}`;
    if (values.how === "chain") {
      return () => send(what, "PartnerRatings", "rate", [agreement.id, agreement.current_version, values.partner, score, comment]);
    }
    return () => signRating(agreement.id, agreement.current_version, values.partner, score, comment);
  });
}

/** Sign a rating off line (EIP-712, in the PartnerRatings contract's domain, from /v1/contracts) with the
 * member's next rating nonce; checked against the chain first, so a rating the rules refuse is never offered. */
async function signRating(agreementId, version, ratee, score, commentHash) {
  const ratings = contract("PartnerRatings");
  const facts = ledger.facts.contracts.PartnerRatings;
  const rating = {
    rater: desk.account, agreementId: BigInt(agreementId), version: Number(version), ratee, score,
    commentHash, nonce: await ratings.nonces(desk.account), deadline: BigInt(desk.now + 7 * 86_400),
  };
  try {
    await ratings.rate.staticCall(agreementId, version, ratee, score, commentHash);
  } catch (error) {
    progress(`The rating would be refused, so it was not signed: ${problemWords(error)}`, true);
    return;
  }
  progress(`Sign your rating of ${memberLabel(ratee)}: confirm it in your wallet…`);
  let signature;
  try {
    signature = await desk.signer.signTypedData(facts.eip712_domain, { PartnerRating: facts.typed_data.PartnerRating }, rating);
  } catch (error) {
    progress(`Signing the rating: ${problemWords(error)}`, true);
    return;
  }
  const text = JSON.stringify({ rating: Object.fromEntries(Object.entries(rating).map(([key, item]) => [key, String(item)])), signature }, null, 2);
  progress(`You signed a rating of ${memberLabel(ratee)}: ${score} out of 5. Anybody may submit it within a week (nothing was sent).`);
  offer("Your signed rating (nothing was sent; anybody may submit it, paying the gas):", text,
    `rating-${agreementId}-${ratee.slice(2, 10)}.json`);
}

/** What a member pasted or opened in a form's `file` and `text` fields: the JSON another member's page
 * offered, with its `what` (a voucher, a rating) and the 65-byte signature `signer` made of it. */
async function pastedSigned(values, what, signer) {
  const text = values.file ? await values.file.text() : values.text;
  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`the ${what} is the JSON the ${signer}'s page offered; this is not it`);
  }
  if (!parsed[what] || !/^0x[0-9a-fA-F]{130}$/.test(String(parsed.signature))) throw new Error(`the ${what} has no signature`);
  return parsed;
}

function submitRatingForm() {
  form("Submit a signed rating", "Paste a rating its rater signed off line (or open its file): you submit it and pay the gas; "
    + "it counts as the rater's own.", [
    { name: "file", label: "rating file", type: "file" },
    { name: "text", label: "or the rating's text", type: "textarea" },
  ], async (values) => {
    const parsed = await pastedSigned(values, "rating", "rater");
    const rating = parsed.rating;
    return () => send(`Submit ${memberLabel(ethers.getAddress(rating.rater))}'s rating of agreement ${rating.agreementId}`,
      "PartnerRatings", "rateWithSignature", [rating, parsed.signature]);
  });
}

function redeemForm() {
  form("Redeem a voucher", "Paste the voucher the sponsor signed (or open its file): redeeming it confirms the conversion and "
    + "pays the reward to the referrer it names.", [
    { name: "file", label: "voucher file", type: "file" },
    { name: "text", label: "or the voucher's text", type: "textarea" },
  ], async (values) => {
    const parsed = await pastedSigned(values, "voucher", "sponsor");
    const { v, r, s } = ethers.Signature.from(parsed.signature);
    const voucher = parsed.voucher;
    return () => send(`Redeem the voucher of program ${voucher.programId}`, "ReferralRewards", "redeemVoucher", [voucher, v, r, s]);
  });
}

// -------------------------------------------------------------------------------------------- start

function start() {
  window.addEventListener("eip6963:announceProvider", announced);
  window.dispatchEvent(new Event("eip6963:requestProvider"));
  $("#connect").addEventListener("click", () => connectClicked().catch(failed("Connecting")));
  $("#switch-network").addEventListener("click", () => switchNetwork().catch(failed("Switching networks")));
  $("#desk-refresh").addEventListener("click", () => loadDesk().catch(failed("Reading your desk")));
}

if (document.body.dataset.ready === "true") start();
else document.addEventListener("coopledger:ready", start, { once: true });
