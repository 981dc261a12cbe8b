(function(){
var C=__CONFIG__,s=document.currentScript;if(!s)return;
var o=new URL(s.src).origin,L=(s.getAttribute("data-lang")||document.documentElement.lang||navigator.language||"ko").slice(0,2)=="en"?"en":"ko",T=C[L],tk=s.getAttribute("data-token");
function el(n,css,txt){var e=document.createElement(n);if(css)e.style.cssText=css;if(txt!=null)e.textContent=txt;return e}
var w=el("div","font:15px/1.4 system-ui,sans-serif;border:1px solid #d9e2ec;border-radius:10px;padding:14px;max-width:520px;background:#fff;color:#1f2933");
w.className="cxmap-survey";w.setAttribute("role","group");w.setAttribute("aria-label",T.q);
w.appendChild(el("p","margin:0 0 10px;font-weight:600",T.q));
var row=el("div","display:flex;flex-wrap:wrap;gap:4px");w.appendChild(row);
for(var v=C.min;v<=C.max;v++)(function(v){var b=el("button","flex:1 0 2.2em;min-height:40px;border:2px solid "+C.colour+";border-radius:8px;background:#fff;color:#1f2933;cursor:pointer",String(v));b.type="button";b.setAttribute("data-score",v);b.onclick=function(){send(v)};row.appendChild(b)})(v);
var a=el("div","display:flex;justify-content:space-between;font-size:12px;color:#52606d;margin-top:4px");a.appendChild(el("span","",T.lo));a.appendChild(el("span","",T.hi));w.appendChild(a);
var msg=el("p","margin:10px 0 0");msg.setAttribute("aria-live","polite");msg.className="cxmap-msg";w.appendChild(msg);
function post(p,b){return fetch(o+p,{method:"POST",headers:{"Content-Type":"application/json"},body:JSON.stringify(b)}).then(function(r){return r.json().then(function(j){if(!r.ok)throw j;return j},function(){if(!r.ok)throw{};return{}})})}
function lock(x){row.querySelectorAll("button").forEach(function(b){b.disabled=x})}
function send(v){lock(true);var b={score:v,channel:"widget"};if(tk)b.token=tk;post("/api/v1/public/surveys/"+C.id+"/answers",b).then(function(j){row.remove();a.remove();msg.textContent=T.thanks;if(j.follow_up)follow(j)},function(e){lock(false);msg.textContent=(e&&e.error&&e.error.message)||T.error})}
function follow(j){var f=el("form"),id="cxmap-c-"+C.id,l=el("label","display:block;margin-top:8px",j.follow_up[L]||j.follow_up.ko||j.follow_up.en),t=el("textarea","width:100%;box-sizing:border-box;margin:6px 0");l.htmlFor=id;t.id=id;t.name="comment";t.rows=3;t.maxLength=2000;
var b=el("button","background:"+C.colour+";color:#fff;border:0;border-radius:8px;padding:8px 16px;cursor:pointer",T.send);b.type="submit";f.appendChild(l);f.appendChild(t);f.appendChild(b);
f.onsubmit=function(ev){ev.preventDefault();b.disabled=true;post("/api/v1/public/answers/comment",{token:j.follow_up_token,comment:t.value}).then(function(){f.remove();msg.textContent=T.thanks2},function(){b.disabled=false;msg.textContent=T.error})};w.appendChild(f)}
s.parentNode.insertBefore(w,s.nextSibling)})();
